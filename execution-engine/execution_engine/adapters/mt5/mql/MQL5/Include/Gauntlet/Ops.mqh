//+------------------------------------------------------------------+
//| Ops.mqh (MQL5): the operations of the protocol's `req.op` table, |
//| one function each: bool GtOpX(args, data, code, message); false  |
//| means `res ok=false` with error {code, message}. The dispatch    |
//| table itself is in GauntletBridge.mq5.                           |
//+------------------------------------------------------------------+
#define GT_DUPLICATE_LOOKBACK_S (7 * 86400)

//--- account_info -------------------------------------------------------
bool GtOpAccountInfo(GtJson *args, string &data, string &code, string &message)
  {
   int md = GtMoneyDigits();
   GtObj o;
   o.Int("login", AccountInfoInteger(ACCOUNT_LOGIN));
   o.Str("broker", AccountInfoString(ACCOUNT_SERVER));
   o.Str("currency", AccountInfoString(ACCOUNT_CURRENCY));
   o.Int("leverage", AccountInfoInteger(ACCOUNT_LEVERAGE));
   o.Money("balance", AccountInfoDouble(ACCOUNT_BALANCE), md);
   o.Money("equity", AccountInfoDouble(ACCOUNT_EQUITY), md);
   o.Money("margin", AccountInfoDouble(ACCOUNT_MARGIN), md);
   o.Money("margin_free", AccountInfoDouble(ACCOUNT_MARGIN_FREE), md);
   o.Money("margin_level", AccountInfoDouble(ACCOUNT_MARGIN_LEVEL), 2);
   o.Money("margin_so_call", AccountInfoDouble(ACCOUNT_MARGIN_SO_CALL), 2);
   o.Money("margin_so_so", AccountInfoDouble(ACCOUNT_MARGIN_SO_SO), 2);
   o.Str("margin_mode", EnumToString((ENUM_ACCOUNT_MARGIN_MODE)AccountInfoInteger(ACCOUNT_MARGIN_MODE)));
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
   o.Int("filling_mode", SymbolInfoInteger(name, SYMBOL_FILLING_MODE));
   o.Str("execution_mode", EnumToString((ENUM_SYMBOL_TRADE_EXECUTION)SymbolInfoInteger(name, SYMBOL_TRADE_EXEMODE)));
   o.Str("trade_mode", EnumToString((ENUM_SYMBOL_TRADE_MODE)SymbolInfoInteger(name, SYMBOL_TRADE_MODE)));
   o.Int("order_mode", SymbolInfoInteger(name, SYMBOL_ORDER_MODE));
   o.Int("expiration_mode", SymbolInfoInteger(name, SYMBOL_EXPIRATION_MODE));
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
bool GtOpPositions(GtJson *args, string &data, string &code, string &message)
  {
   string symbol = args.Str("symbol");
   bool by_magic = args.Has("magic");
   long magic = args.Int("magic");
   GtArr rows;
   for(int i = 0; i < PositionsTotal(); i++)
     {
      if(PositionGetTicket(i) == 0)
         continue;
      if(symbol != "" && PositionGetString(POSITION_SYMBOL) != symbol)
         continue;
      if(by_magic && PositionGetInteger(POSITION_MAGIC) != magic)
         continue;
      rows.Raw(GtPositionRow());
     }
   GtObj o;
   o.Raw("positions", rows.Text());
   data = o.Text();
   return true;
  }

bool GtOpOrders(GtJson *args, string &data, string &code, string &message)
  {
   string symbol = args.Str("symbol");
   string prefix = args.Str("comment");
   bool by_magic = args.Has("magic");
   long magic = args.Int("magic");
   GtArr rows;
   for(int i = 0; i < OrdersTotal(); i++)
     {
      ulong ticket = OrderGetTicket(i);
      if(ticket == 0)
         continue;
      if(symbol != "" && OrderGetString(ORDER_SYMBOL) != symbol)
         continue;
      if(by_magic && OrderGetInteger(ORDER_MAGIC) != magic)
         continue;
      if(!GtHasPrefix(OrderGetString(ORDER_COMMENT), prefix))
         continue;
      rows.Raw(GtOrderRow(ticket, false));
     }
   GtObj o;
   o.Raw("orders", rows.Text());
   data = o.Text();
   return true;
  }

// HistorySelect over [from_ms, to_ms] (defaults: the last 7 days up to a day ahead).
bool GtSelectHistory(GtJson *args)
  {
   datetime now = TimeTradeServer();
   datetime from = args.Has("from_ms") ? GtServerTime(args.Int("from_ms")) : now - GT_DUPLICATE_LOOKBACK_S;
   datetime to = args.Has("to_ms") ? GtServerTime(args.Int("to_ms")) : now + 86400;
   return HistorySelect(from, to);
  }

bool GtOpHistoryOrders(GtJson *args, string &data, string &code, string &message)
  {
   string prefix = args.Str("comment");
   ulong only = (ulong)args.Int("ticket", 0);
   GtArr rows;
   if(only != 0)
     {
      if(HistoryOrderSelect(only))
         rows.Raw(GtOrderRow(only, true));
     }
   else
     {
      if(!GtSelectHistory(args))
         return GtFail(code, message, "BAD_ARGS", "HistorySelect failed, error " + IntegerToString(GetLastError()));
      for(int i = 0; i < HistoryOrdersTotal(); i++)
        {
         ulong ticket = HistoryOrderGetTicket(i);
         if(ticket != 0 && GtHasPrefix(HistoryOrderGetString(ticket, ORDER_COMMENT), prefix))
            rows.Raw(GtOrderRow(ticket, true));
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
   bool selected = position != 0 ? HistorySelectByPosition(position) : GtSelectHistory(args);
   if(!selected)
      return GtFail(code, message, "BAD_ARGS", "HistorySelect failed, error " + IntegerToString(GetLastError()));
   GtArr rows;
   for(int i = 0; i < HistoryDealsTotal(); i++)
     {
      ulong ticket = HistoryDealGetTicket(i);
      if(ticket == 0)
         continue;
      if(order != 0 && HistoryDealGetInteger(ticket, DEAL_ORDER) != order)
         continue;
      if(!GtHasPrefix(HistoryDealGetString(ticket, DEAL_COMMENT), prefix))
         continue;
      rows.Raw(GtDealRow(ticket));
     }
   GtObj o;
   o.Raw("deals", rows.Text());
   data = o.Text();
   return true;
  }

//--- order_send -----------------------------------------------------------
// The retcode an earlier OrderSend of this history order had answered: a pending order
// was placed (whatever became of it later); a market order by how it ended.
uint GtFirstRetcode(const ENUM_ORDER_TYPE type, const ENUM_ORDER_STATE state)
  {
   if(type != ORDER_TYPE_BUY && type != ORDER_TYPE_SELL) return TRADE_RETCODE_PLACED;
   if(state == ORDER_STATE_FILLED) return TRADE_RETCODE_DONE;
   if(state == ORDER_STATE_PARTIAL) return TRADE_RETCODE_DONE_PARTIAL;
   if(state == ORDER_STATE_REJECTED) return TRADE_RETCODE_REJECT;
   if(state == ORDER_STATE_CANCELED || state == ORDER_STATE_EXPIRED) return TRADE_RETCODE_CANCEL;
   return TRADE_RETCODE_PLACED;
  }

// The duplicate guard: an active order, a position, or a history order of the
// last 7 days whose comment starts with this key, with this magic. Found: its outcome.
bool GtFindKey(const string key, const ulong magic, MqlTradeResult &res, string &symbol)
  {
   ZeroMemory(res);
   for(int i = 0; i < OrdersTotal(); i++)
     {
      ulong t = OrderGetTicket(i);
      if(t == 0 || (ulong)OrderGetInteger(ORDER_MAGIC) != magic || !GtHasPrefix(OrderGetString(ORDER_COMMENT), key))
         continue;
      res.retcode = TRADE_RETCODE_PLACED;
      res.order = t;
      res.volume = OrderGetDouble(ORDER_VOLUME_INITIAL);
      res.price = OrderGetDouble(ORDER_PRICE_OPEN);
      symbol = OrderGetString(ORDER_SYMBOL);
      return true;
     }
   for(int i = 0; i < PositionsTotal(); i++)
     {
      if(PositionGetTicket(i) == 0 || (ulong)PositionGetInteger(POSITION_MAGIC) != magic ||
         !GtHasPrefix(PositionGetString(POSITION_COMMENT), key))
         continue;
      res.retcode = TRADE_RETCODE_DONE;
      res.order = (ulong)PositionGetInteger(POSITION_IDENTIFIER);
      res.volume = PositionGetDouble(POSITION_VOLUME);
      res.price = PositionGetDouble(POSITION_PRICE_OPEN);
      symbol = PositionGetString(POSITION_SYMBOL);
      return true;
     }
   datetime now = TimeTradeServer();
   if(!HistorySelect(now - GT_DUPLICATE_LOOKBACK_S, now + 86400))
      return false;
   for(int i = 0; i < HistoryOrdersTotal(); i++)
     {
      ulong t = HistoryOrderGetTicket(i);
      if(t == 0 || (ulong)HistoryOrderGetInteger(t, ORDER_MAGIC) != magic ||
         !GtHasPrefix(HistoryOrderGetString(t, ORDER_COMMENT), key))
         continue;
      res.retcode = GtFirstRetcode((ENUM_ORDER_TYPE)HistoryOrderGetInteger(t, ORDER_TYPE),
                                   (ENUM_ORDER_STATE)HistoryOrderGetInteger(t, ORDER_STATE));
      res.order = t;
      res.volume = HistoryOrderGetDouble(t, ORDER_VOLUME_INITIAL);
      res.price = HistoryOrderGetDouble(t, ORDER_PRICE_OPEN);
      symbol = HistoryOrderGetString(t, ORDER_SYMBOL);
      for(int j = 0; j < HistoryDealsTotal(); j++)
        {
         ulong deal = HistoryDealGetTicket(j);
         if(deal != 0 && (ulong)HistoryDealGetInteger(deal, DEAL_ORDER) == t)
           {
            res.deal = deal;
            res.price = HistoryDealGetDouble(deal, DEAL_PRICE);
            break;
           }
        }
      return true;
     }
   return false;
  }

// The JSON `request` -> MqlTradeRequest. Every field is read; `invalid` names the first
// enum name that is not MQL5's ("" if none): such a request is answered 10013, as
// OrderSend would, after the duplicate guard has seen its comment.
void GtParseRequest(GtJson *r, MqlTradeRequest &req, string &invalid)
  {
   ZeroMemory(req);
   req.magic = (ulong)r.Int("magic");
   req.order = (ulong)r.Int("order");
   req.symbol = r.Str("symbol");
   req.volume = r.Dbl("volume");
   req.price = r.Dbl("price");
   req.stoplimit = r.Dbl("stoplimit");
   req.sl = r.Dbl("sl");
   req.tp = r.Dbl("tp");
   req.deviation = (ulong)r.Int("deviation");
   if(r.Has("expiration_ms"))
      req.expiration = GtServerTime(r.Int("expiration_ms"));
   req.comment = r.Str("comment");
   req.position = (ulong)r.Int("position");
   req.position_by = (ulong)r.Int("position_by");
   invalid = "";
   if(!GtParseEnum(r.Str("action"), req.action, 10))
      invalid = "unknown action " + r.Str("action");
   else if(r.Has("type") && !GtParseEnum(r.Str("type"), req.type, 8))
      invalid = "unknown type " + r.Str("type");
   else if(r.Has("type_filling") && !GtParseEnum(r.Str("type_filling"), req.type_filling, 3))
      invalid = "unknown type_filling " + r.Str("type_filling");
   else if(r.Has("type_time") && !GtParseEnum(r.Str("type_time"), req.type_time, 3))
      invalid = "unknown type_time " + r.Str("type_time");
   else if(req.symbol != "" && !GtKnownSymbol(req.symbol))
      invalid = "the terminal has no symbol " + req.symbol;
  }

bool GtOpOrderSend(GtJson *args, string &data, string &code, string &message)
  {
   GtJson *r = args.Get("request");
   if(r == NULL || r.kind != GT_OBJ)
      return GtFail(code, message, "BAD_ARGS", "order_send needs a request object");
   MqlTradeRequest req;
   string invalid;
   GtParseRequest(r, req, invalid);

   MqlTradeResult res;
   string key = GtKeyOf(req.comment);
   bool guarded = invalid == "" && (req.action == TRADE_ACTION_DEAL || req.action == TRADE_ACTION_PENDING) && key != "";
   string found_symbol = req.symbol;
   if(guarded && GtFindKey(key, req.magic, res, found_symbol))
     {
      data = GtResultJson(res, found_symbol, true);
      return true;
     }
   ZeroMemory(res);
   if(!GtTradeAllowed())
     {
      Print("Gauntlet: order refused, AutoTrading is disabled (10027): switch on Algo Trading ",
            "and the EA's 'Allow algorithmic trading'");
      res.retcode = TRADE_RETCODE_CLIENT_DISABLES_AT;
      res.comment = "AutoTrading disabled by client terminal";
     }
   else if(invalid != "")
     {
      res.retcode = TRADE_RETCODE_INVALID;
      res.comment = invalid;
     }
   else if(!OrderSend(req, res) && res.retcode == 0)
     {
      // the terminal's own checks refused it before the server saw it
      res.retcode = TRADE_RETCODE_INVALID;
      res.comment = "terminal check failed, error " + IntegerToString(GetLastError());
     }
   data = GtResultJson(res, GtKnownSymbol(req.symbol) ? req.symbol : "", false);
   return true;
  }
//+------------------------------------------------------------------+
