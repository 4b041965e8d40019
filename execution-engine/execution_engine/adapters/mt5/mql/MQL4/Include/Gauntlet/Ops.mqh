//+------------------------------------------------------------------+
//| Ops.mqh (MQL4): the protocol's operations on MT4's order model.  |
//| One function each: bool GtOpX(args, data, code, message). An    |
//| MqlTradeRequest becomes OrderSend / OrderClose / OrderModify /   |
//| OrderDelete / OrderCloseBy; MQL4's errors become retcodes        |
//| (GtMt4Retcode) and travel as `mt4_error` too. The dispatch table |
//| is in GauntletBridge.mq4.                                        |
//+------------------------------------------------------------------+
#define GT_DUPLICATE_LOOKBACK_S (7 * 86400)

// MQL4 GetLastError() -> TRADE_RETCODE_*, per the protocol document; the rest -> 10011.
uint GtMt4Retcode(const int mt4_error)
  {
   switch(mt4_error)
     {
      case 6:    return 10031;  // ERR_NO_CONNECTION -> TRADE_RETCODE_CONNECTION
      case 129:  return 10015;  // ERR_INVALID_PRICE -> TRADE_RETCODE_INVALID_PRICE
      case 130:  return 10016;  // ERR_INVALID_STOPS -> TRADE_RETCODE_INVALID_STOPS
      case 131:  return 10014;  // ERR_INVALID_TRADE_VOLUME -> TRADE_RETCODE_INVALID_VOLUME
      case 132:  return 10018;  // ERR_MARKET_CLOSED -> TRADE_RETCODE_MARKET_CLOSED
      case 133:  return 10017;  // ERR_TRADE_DISABLED -> TRADE_RETCODE_TRADE_DISABLED
      case 134:  return 10019;  // ERR_NOT_ENOUGH_MONEY -> TRADE_RETCODE_NO_MONEY
      case 136:  return 10021;  // ERR_OFF_QUOTES -> TRADE_RETCODE_PRICE_OFF
      case 138:  return 10004;  // ERR_REQUOTE -> TRADE_RETCODE_REQUOTE
      case 4109: return 10027;  // ERR_TRADE_NOT_ALLOWED -> TRADE_RETCODE_CLIENT_DISABLES_AT
      case 140:  return 10042;  // ERR_LONG_POSITIONS_ONLY_ALLOWED -> TRADE_RETCODE_LONG_ONLY
      case 4110: return 10043;  // ERR_LONGS_NOT_ALLOWED -> TRADE_RETCODE_SHORT_ONLY
      case 4111: return 10042;  // ERR_SHORTS_NOT_ALLOWED -> TRADE_RETCODE_LONG_ONLY
     }
   return 10011;                // TRADE_RETCODE_ERROR
  }

//--- account_info -------------------------------------------------------
bool GtOpAccountInfo(GtJson *args, string &data, string &code, string &message)
  {
   GtObj o;
   o.Int("login", AccountInfoInteger(ACCOUNT_LOGIN));
   o.Str("broker", AccountInfoString(ACCOUNT_SERVER));
   o.Str("currency", AccountInfoString(ACCOUNT_CURRENCY));
   o.Int("leverage", AccountInfoInteger(ACCOUNT_LEVERAGE));
   o.Money("balance", AccountInfoDouble(ACCOUNT_BALANCE), GT_MT4_MONEY_DIGITS);
   o.Money("equity", AccountInfoDouble(ACCOUNT_EQUITY), GT_MT4_MONEY_DIGITS);
   o.Money("margin", AccountInfoDouble(ACCOUNT_MARGIN), GT_MT4_MONEY_DIGITS);
   o.Money("margin_free", AccountInfoDouble(ACCOUNT_MARGIN_FREE), GT_MT4_MONEY_DIGITS);
   o.Money("margin_level", GtMarginLevel(), 2);
   o.Money("margin_so_call", AccountInfoDouble(ACCOUNT_MARGIN_SO_CALL), 2);
   o.Money("margin_so_so", AccountInfoDouble(ACCOUNT_MARGIN_SO_SO), 2);
   o.Str("margin_mode", "ACCOUNT_MARGIN_MODE_RETAIL_HEDGING");  // MT4 keeps every order apart
   o.Bool("trade_allowed", GtTradeAllowed() && AccountInfoInteger(ACCOUNT_TRADE_ALLOWED) != 0 &&
          AccountInfoInteger(ACCOUNT_TRADE_EXPERT) != 0);
   o.Str("company", AccountInfoString(ACCOUNT_COMPANY));
   data = o.Text();
   return true;
  }

//--- symbols ------------------------------------------------------------
string GtSymbolSpec(const string name)
  {
   int d = GtDigits(name);
   int vd = GtVolumeDigits(name);
   GtObj o;
   o.Str("name", name);
   o.Str("description", SymbolInfoString(name, SYMBOL_DESCRIPTION));
   o.Str("currency_base", SymbolInfoString(name, SYMBOL_CURRENCY_BASE));
   o.Str("currency_profit", SymbolInfoString(name, SYMBOL_CURRENCY_PROFIT));
   o.Str("currency_margin", SymbolInfoString(name, SYMBOL_CURRENCY_MARGIN));
   o.Int("digits", d);
   o.Money("point", SymbolInfoDouble(name, SYMBOL_POINT), d);
   o.Money("contract_size", SymbolInfoDouble(name, SYMBOL_TRADE_CONTRACT_SIZE), 2);
   o.Money("volume_min", SymbolInfoDouble(name, SYMBOL_VOLUME_MIN), vd);
   o.Money("volume_max", SymbolInfoDouble(name, SYMBOL_VOLUME_MAX), vd);
   o.Money("volume_step", SymbolInfoDouble(name, SYMBOL_VOLUME_STEP), vd);
   o.Int("stops_level", SymbolInfoInteger(name, SYMBOL_TRADE_STOPS_LEVEL));
   o.Int("freeze_level", SymbolInfoInteger(name, SYMBOL_TRADE_FREEZE_LEVEL));
   o.Int("filling_mode", 1);       // an MT4 market order fills whole or not at all
   o.Str("execution_mode", EnumToString((ENUM_SYMBOL_TRADE_EXECUTION)SymbolInfoInteger(name, SYMBOL_TRADE_EXEMODE)));
   o.Str("trade_mode", EnumToString((ENUM_SYMBOL_TRADE_MODE)SymbolInfoInteger(name, SYMBOL_TRADE_MODE)));
   o.Int("order_mode", 1 | 2 | 4 | 16 | 32);  // market, limit, stop, SL, TP: no stop limit
   o.Int("expiration_mode", 1 | 4);           // GTC, SPECIFIED
   o.Money("margin_initial", SymbolInfoDouble(name, SYMBOL_MARGIN_INITIAL), 2);
   o.Money("swap_long", SymbolInfoDouble(name, SYMBOL_SWAP_LONG), 2);
   o.Money("swap_short", SymbolInfoDouble(name, SYMBOL_SWAP_SHORT), 2);
   return o.Text();
  }

bool GtOpSymbols(GtJson *args, string &data, string &code, string &message)
  {
   GtArr specs;
   GtJson *names = args.Get("names");
   if(args.Has("names") && names.kind != GT_ARR)
      return GtFail(code, message, "BAD_ARGS", "names must be a list of symbol names");
   if(args.Has("names"))
     {
      for(int i = 0; i < names.Size(); i++)
        {
         string name = names.At(i).text;
         if(!GtKnownSymbol(name))
            return GtFail(code, message, "UNKNOWN_SYMBOL", "the terminal has no symbol " + name);
         specs.Raw(GtSymbolSpec(name));
        }
     }
   else
      for(int i = 0; i < SymbolsTotal(true); i++)
         specs.Raw(GtSymbolSpec(SymbolName(i, true)));
   GtObj o;
   o.Raw("symbols", specs.Text());
   data = o.Text();
   return true;
  }

//--- subscribe / unsubscribe / tick / rates ----------------------------
bool GtOpSubscribe(GtJson *args, string &data, string &code, string &message, const bool on)
  {
   GtJson *symbols = args.Get("symbols");
   if(symbols == NULL || symbols.kind != GT_ARR)
      return GtFail(code, message, "BAD_ARGS", "symbols (a list) is required");
   for(int i = 0; i < symbols.Size(); i++)
      if(!GtKnownSymbol(symbols.At(i).text))
         return GtFail(code, message, "UNKNOWN_SYMBOL", "the terminal has no symbol " + symbols.At(i).text);
   for(int i = 0; i < symbols.Size(); i++)
     {
      if(on)
         GtSubscribe(symbols.At(i).text);
      else
         GtUnsubscribe(symbols.At(i).text);
     }
   GtObj o;
   o.Raw("symbols", GtSubsJson());
   data = o.Text();
   return true;
  }

bool GtOpTick(GtJson *args, string &data, string &code, string &message)
  {
   string symbol = args.Str("symbol");
   MqlTick tick;
   if(!GtKnownSymbol(symbol))
      return GtFail(code, message, "UNKNOWN_SYMBOL", "the terminal has no symbol " + symbol);
   GtObj o;
   o.Raw("tick", SymbolInfoTick(symbol, tick) ? GtTickRow(symbol, tick) : "null");  // no quote yet
   data = o.Text();
   return true;
  }

bool GtOpRates(GtJson *args, string &data, string &code, string &message)
  {
   string symbol = args.Str("symbol");
   ENUM_TIMEFRAMES tf;
   int count = (int)args.Int("count", -1);
   if(!GtKnownSymbol(symbol))
      return GtFail(code, message, "UNKNOWN_SYMBOL", "the terminal has no symbol " + symbol);
   if(!GtTimeframe(args.Str("timeframe"), tf) || count < 0)
      return GtFail(code, message, "BAD_ARGS", "timeframe (M1..D1) and count >= 0 are required");
   MqlRates rates[];
   int got = args.Has("to_ms")
             ? CopyRates(symbol, tf, GtServerTime(args.Int("to_ms")), count, rates)
             : CopyRates(symbol, tf, 0, count, rates);
   GtArr rows;
   for(int i = 0; i < got; i++)  // CopyRates fills oldest first
      rows.Raw(GtRateRow(symbol, rates[i]));
   GtObj o;
   o.Raw("rates", rows.Text());
   data = o.Text();
   return true;
  }

//--- positions / orders / history ----------------------------------------
bool GtMatches(const string symbol, const bool by_magic, const long magic, const string prefix)
  {
   return (symbol == "" || OrderSymbol() == symbol) && (!by_magic || OrderMagicNumber() == magic) &&
          GtHasPrefix(OrderComment(), prefix);
  }

bool GtOpPositions(GtJson *args, string &data, string &code, string &message)
  {
   GtArr rows;
   for(int i = 0; i < OrdersTotal(); i++)
      if(OrderSelect(i, SELECT_BY_POS, MODE_TRADES) && GtIsMarket(OrderType()) &&
         GtMatches(args.Str("symbol"), args.Has("magic"), args.Int("magic"), ""))
         rows.Raw(GtPositionRow());
   GtObj o;
   o.Raw("positions", rows.Text());
   data = o.Text();
   return true;
  }

bool GtOpOrders(GtJson *args, string &data, string &code, string &message)
  {
   GtArr rows;
   for(int i = 0; i < OrdersTotal(); i++)
      if(OrderSelect(i, SELECT_BY_POS, MODE_TRADES) && !GtIsMarket(OrderType()) &&
         GtMatches(args.Str("symbol"), args.Has("magic"), args.Int("magic"), args.Str("comment")))
         rows.Raw(GtOrderRow(false));
   GtObj o;
   o.Raw("orders", rows.Text());
   data = o.Text();
   return true;
  }

bool GtInRange(const datetime t, GtJson *args)
  {
   long ms = GtUtcMs(t);
   return (!args.Has("from_ms") || ms >= args.Int("from_ms")) && (!args.Has("to_ms") || ms <= args.Int("to_ms"));
  }

// history_orders: every market order (open or closed: it filled) and every deleted
// pending order. MODE_HISTORY holds what the terminal's History tab is set to show.
bool GtOpHistoryOrders(GtJson *args, string &data, string &code, string &message)
  {
   string prefix = args.Str("comment");
   long only = args.Int("ticket", 0);
   GtArr rows;
   for(int pool = MODE_TRADES; pool <= MODE_HISTORY; pool++)
     {
      int total = pool == MODE_TRADES ? OrdersTotal() : OrdersHistoryTotal();
      for(int i = 0; i < total; i++)
        {
         if(!OrderSelect(i, SELECT_BY_POS, pool) || OrderType() > OP_SELLSTOP)
            continue;  // balance and credit rows are not orders
         if(pool == MODE_TRADES && !GtIsMarket(OrderType()))
            continue;  // an open pending order is active, not history
         if(only != 0 && OrderTicket() != only)
            continue;
         datetime done = GtIsMarket(OrderType()) ? OrderOpenTime() : OrderCloseTime();
         if(only == 0 && (!GtInRange(done, args) || !GtHasPrefix(OrderComment(), prefix)))
            continue;
         rows.Raw(GtOrderRow(true));
        }
     }
   GtObj o;
   o.Raw("orders", rows.Text());
   data = o.Text();
   return true;
  }

bool GtOpHistoryDeals(GtJson *args, string &data, string &code, string &message)
  {
   string prefix = args.Str("comment");
   long order = args.Int("order", 0);
   long position = args.Int("position", 0);
   GtArr rows;
   for(int pool = MODE_TRADES; pool <= MODE_HISTORY; pool++)
     {
      int total = pool == MODE_TRADES ? OrdersTotal() : OrdersHistoryTotal();
      for(int i = 0; i < total; i++)
        {
         if(!OrderSelect(i, SELECT_BY_POS, pool) || !GtIsMarket(OrderType()))
            continue;
         if((order != 0 && OrderTicket() != order) || (position != 0 && OrderTicket() != position))
            continue;
         if(!GtHasPrefix(OrderComment(), prefix))
            continue;
         if(GtInRange(OrderOpenTime(), args))
            rows.Raw(GtDealRow(false));
         if(OrderCloseTime() != 0 && GtInRange(OrderCloseTime(), args))
            rows.Raw(GtDealRow(true));
        }
     }
   GtObj o;
   o.Raw("deals", rows.Text());
   data = o.Text();
   return true;
  }

//--- order_send -----------------------------------------------------------
// The duplicate guard: an open order or one closed in the last 7 days whose comment
// starts with this key, with this magic. Its first answer: pending placed, market done.
bool GtFindKey(const string key, const long magic, string &data)
  {
   datetime since = TimeCurrent() - GT_DUPLICATE_LOOKBACK_S;
   for(int pool = MODE_TRADES; pool <= MODE_HISTORY; pool++)
     {
      int total = pool == MODE_TRADES ? OrdersTotal() : OrdersHistoryTotal();
      for(int i = 0; i < total; i++)
        {
         if(!OrderSelect(i, SELECT_BY_POS, pool) || OrderType() > OP_SELLSTOP)
            continue;
         if(OrderMagicNumber() != magic || !GtHasPrefix(OrderComment(), key))
            continue;
         if(pool == MODE_HISTORY && OrderCloseTime() < since)
            continue;
         bool market = GtIsMarket(OrderType());
         uint retcode = market ? 10009 : 10008;  // TRADE_RETCODE_DONE, TRADE_RETCODE_PLACED
         data = GtResultJson(retcode, market ? OrderTicket() : 0, OrderTicket(), OrderLots(),
                             OrderOpenPrice(), OrderSymbol(), OrderComment(), 0, true);
         return true;
        }
     }
   return false;
  }

double GtMarketPrice(const string symbol, const bool buy)
  {
   RefreshRates();
   return MarketInfo(symbol, buy ? MODE_ASK : MODE_BID);
  }

// What happened, as an MqlTradeResult: the selected order's figures on success.
string GtAnswer(const bool ok, const uint done_retcode, const int ticket, const bool deal,
                const long deal_ticket, const string symbol)
  {
   if(!ok)
     {
      int err = GetLastError();
      return GtResultJson(GtMt4Retcode(err), 0, ticket > 0 ? ticket : 0, 0.0, 0.0, symbol,
                          "MQL4 error " + IntegerToString(err), err, false);
     }
   double volume = 0.0, price = 0.0;
   if(ticket > 0 && OrderSelect(ticket, SELECT_BY_TICKET))
     {
      volume = OrderLots();
      price = OrderCloseTime() != 0 && GtIsMarket(OrderType()) ? OrderClosePrice() : OrderOpenPrice();
     }
   return GtResultJson(done_retcode, deal ? deal_ticket : 0, ticket, volume, price, symbol,
                       "Request executed", 0, false);
  }

bool GtOpOrderSend(GtJson *args, string &data, string &code, string &message)
  {
   GtJson *r = args.Get("request");
   if(r == NULL || r.kind != GT_OBJ)
      return GtFail(code, message, "BAD_ARGS", "order_send needs a request object");
   string action = r.Str("action");
   string symbol = r.Str("symbol");
   string comment = r.Str("comment");
   long magic = r.Int("magic");
   double volume = r.Dbl("volume"), price = r.Dbl("price"), sl = r.Dbl("sl"), tp = r.Dbl("tp");
   int deviation = (int)r.Int("deviation");
   int op = GtOrderTypeOp(r.Str("type"));
   int position = (int)r.Int("position");
   int ticket = (int)r.Int("order");

   string key = GtKeyOf(comment);
   bool guarded = (action == "TRADE_ACTION_DEAL" || action == "TRADE_ACTION_PENDING") && key != "";
   if(guarded && GtFindKey(key, magic, data))
      return true;
   if(!GtTradeAllowed())
     {
      Print("Gauntlet: order refused, AutoTrading is disabled (10027)");
      data = GtResultJson(10027, 0, 0, 0.0, 0.0, symbol, "AutoTrading disabled by client terminal", 4109, false);
      return true;
     }
   if(symbol != "" && !GtKnownSymbol(symbol))
     {
      data = GtResultJson(10013, 0, 0, 0.0, 0.0, "", "the terminal has no symbol " + symbol, 0, false);
      return true;  // TRADE_RETCODE_INVALID, as MT5's OrderSend answers it
     }
   ResetLastError();
   if(action == "TRADE_ACTION_DEAL" && position > 0)
     {
      if(!OrderSelect(position, SELECT_BY_TICKET) || OrderCloseTime() != 0)
        {
         data = GtResultJson(10036, 0, 0, 0.0, 0.0, symbol, "position already closed", 0, false);
         return true;
        }
      double close_price = price > 0 ? price : GtMarketPrice(OrderSymbol(), OrderType() == OP_SELL);
      bool ok = OrderClose(position, volume > 0 ? volume : OrderLots(), close_price, deviation, clrNONE);
      data = GtAnswer(ok, 10009, position, true, (long)position + GT_MT4_OUT_DEAL, symbol);
      return true;
     }
   if(action == "TRADE_ACTION_DEAL" || action == "TRADE_ACTION_PENDING")
     {
      bool pending = action == "TRADE_ACTION_PENDING";
      if(op < 0 || GtIsMarket(op) == pending)
        {
         data = GtResultJson(10013, 0, 0, 0.0, 0.0, symbol, "MT4 has no such order type: " + r.Str("type"), 0, false);
         return true;
        }
      if(!pending)
         price = GtMarketPrice(symbol, op == OP_BUY);
      datetime expiration = r.Str("type_time") == "ORDER_TIME_SPECIFIED" ? GtServerTime(r.Int("expiration_ms")) : 0;
      int placed = OrderSend(symbol, op, volume, price, deviation, sl, tp, comment, (int)magic, expiration, clrNONE);
      data = GtAnswer(placed > 0, pending ? 10008 : 10009, placed, !pending, placed, symbol);
      return true;
     }
   if(action == "TRADE_ACTION_SLTP")
     {
      bool ok = OrderSelect(position, SELECT_BY_TICKET) &&
                OrderModify(position, OrderOpenPrice(), sl, tp, OrderExpiration(), clrNONE);
      data = GtAnswer(ok, 10009, position, false, 0, symbol);
      return true;
     }
   if(action == "TRADE_ACTION_MODIFY")
     {
      bool ok = OrderSelect(ticket, SELECT_BY_TICKET) &&
                OrderModify(ticket, price > 0 ? price : OrderOpenPrice(), sl, tp,
                            r.Has("expiration_ms") ? GtServerTime(r.Int("expiration_ms")) : OrderExpiration(), clrNONE);
      data = GtAnswer(ok, 10009, ticket, false, 0, symbol);
      return true;
     }
   if(action == "TRADE_ACTION_REMOVE")
     {
      data = GtAnswer(OrderDelete(ticket, clrNONE), 10009, ticket, false, 0, symbol);
      return true;
     }
   if(action == "TRADE_ACTION_CLOSE_BY")
     {
      int by = (int)r.Int("position_by");
      data = GtAnswer(OrderCloseBy(position, by, clrNONE), 10009, position, true,
                      (long)position + GT_MT4_OUT_DEAL, symbol);
      return true;
     }
   data = GtResultJson(10013, 0, 0, 0.0, 0.0, symbol, "unknown action " + action, 0, false);
   return true;
  }
//+------------------------------------------------------------------+
