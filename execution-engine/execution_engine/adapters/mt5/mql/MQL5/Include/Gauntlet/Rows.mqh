//+------------------------------------------------------------------+
//| Rows.mqh (MQL5): the protocol's rows from MetaTrader 5's own     |
//| records: times to UTC milliseconds, money as DoubleToString for  |
//| the symbol's digits, enums by their MQL5 constant names.         |
//+------------------------------------------------------------------+

//--- time: the trade server's clock -> UTC ----------------------------
// The server's offset from UTC, rounded to 15 minutes (every real offset is a
// multiple of it; the rounding absorbs the second between the two clock reads).
long GtServerOffset(void)
  {
   long off = (long)(TimeTradeServer() - TimeGMT());
   return (long)MathRound(off / 900.0) * 900;
  }

long GtUtcMs(const datetime server_time)
  {
   return server_time == 0 ? 0 : ((long)server_time - GtServerOffset()) * 1000;
  }

long GtUtcMsFromMsc(const long server_msc)
  {
   return server_msc == 0 ? 0 : server_msc - GtServerOffset() * 1000;
  }

datetime GtServerTime(const long utc_ms)
  {
   return (datetime)(utc_ms / 1000 + GtServerOffset());
  }

int GtMoneyDigits(void) { return (int)AccountInfoInteger(ACCOUNT_CURRENCY_DIGITS); }

// An MQL5 enum from its constant name ("ORDER_TYPE_BUY_LIMIT"), values 0..max_value.
template<typename E>
bool GtParseEnum(const string name, E &out, const int max_value)
  {
   for(int i = 0; i <= max_value; i++)
     {
      E candidate = (E)i;
      if(EnumToString(candidate) == name)
        {
         out = candidate;
         return true;
        }
     }
   return false;
  }

bool GtTradeAllowed(void)
  {
   return TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) != 0 && MQLInfoInteger(MQL_TRADE_ALLOWED) != 0;
  }

//--- rows -------------------------------------------------------------
string GtTickRow(const string symbol, const MqlTick &t)
  {
   int d = GtDigits(symbol);
   GtArr row;
   row.Str(symbol);
   row.Int(GtUtcMsFromMsc(t.time_msc));
   row.Money(t.bid, d);
   row.Money(t.ask, d);
   row.Money(t.last, d);
   row.Money(t.volume_real, GtVolumeDigits(symbol));
   return row.Text();
  }

string GtRateRow(const string symbol, const MqlRates &r)
  {
   int d = GtDigits(symbol);
   GtArr row;
   row.Int(GtUtcMs(r.time));
   row.Money(r.open, d);
   row.Money(r.high, d);
   row.Money(r.low, d);
   row.Money(r.close, d);
   row.Int(r.tick_volume);
   row.Int(r.spread);
   row.Int(r.real_volume);
   return row.Text();
  }

// One order, active (OrderSelect) or historical (HistoryOrderSelect), as the protocol's row.
string GtOrderRow(const ulong ticket, const bool history)
  {
   string symbol = history ? HistoryOrderGetString(ticket, ORDER_SYMBOL) : OrderGetString(ORDER_SYMBOL);
   int d = GtDigits(symbol);
   int vd = GtVolumeDigits(symbol);
   GtObj o;
   o.Int("ticket", (long)ticket);
   o.Str("symbol", symbol);
   if(history)
     {
      o.Str("type", EnumToString((ENUM_ORDER_TYPE)HistoryOrderGetInteger(ticket, ORDER_TYPE)));
      o.Str("state", EnumToString((ENUM_ORDER_STATE)HistoryOrderGetInteger(ticket, ORDER_STATE)));
      o.Money("volume_initial", HistoryOrderGetDouble(ticket, ORDER_VOLUME_INITIAL), vd);
      o.Money("volume_current", HistoryOrderGetDouble(ticket, ORDER_VOLUME_CURRENT), vd);
      o.Money("price_open", HistoryOrderGetDouble(ticket, ORDER_PRICE_OPEN), d);
      o.Money("price_stoplimit", HistoryOrderGetDouble(ticket, ORDER_PRICE_STOPLIMIT), d);
      o.Money("sl", HistoryOrderGetDouble(ticket, ORDER_SL), d);
      o.Money("tp", HistoryOrderGetDouble(ticket, ORDER_TP), d);
      o.Str("type_filling", EnumToString((ENUM_ORDER_TYPE_FILLING)HistoryOrderGetInteger(ticket, ORDER_TYPE_FILLING)));
      o.Str("type_time", EnumToString((ENUM_ORDER_TYPE_TIME)HistoryOrderGetInteger(ticket, ORDER_TYPE_TIME)));
      o.Int("expiration_ms", GtUtcMs((datetime)HistoryOrderGetInteger(ticket, ORDER_TIME_EXPIRATION)));
      o.Int("magic", HistoryOrderGetInteger(ticket, ORDER_MAGIC));
      o.Str("comment", HistoryOrderGetString(ticket, ORDER_COMMENT));
      o.Int("position_id", HistoryOrderGetInteger(ticket, ORDER_POSITION_ID));
      o.Int("time_setup_ms", GtUtcMsFromMsc(HistoryOrderGetInteger(ticket, ORDER_TIME_SETUP_MSC)));
      o.Int("time_done_ms", GtUtcMsFromMsc(HistoryOrderGetInteger(ticket, ORDER_TIME_DONE_MSC)));
      return o.Text();
     }
   o.Str("type", EnumToString((ENUM_ORDER_TYPE)OrderGetInteger(ORDER_TYPE)));
   o.Str("state", EnumToString((ENUM_ORDER_STATE)OrderGetInteger(ORDER_STATE)));
   o.Money("volume_initial", OrderGetDouble(ORDER_VOLUME_INITIAL), vd);
   o.Money("volume_current", OrderGetDouble(ORDER_VOLUME_CURRENT), vd);
   o.Money("price_open", OrderGetDouble(ORDER_PRICE_OPEN), d);
   o.Money("price_stoplimit", OrderGetDouble(ORDER_PRICE_STOPLIMIT), d);
   o.Money("sl", OrderGetDouble(ORDER_SL), d);
   o.Money("tp", OrderGetDouble(ORDER_TP), d);
   o.Str("type_filling", EnumToString((ENUM_ORDER_TYPE_FILLING)OrderGetInteger(ORDER_TYPE_FILLING)));
   o.Str("type_time", EnumToString((ENUM_ORDER_TYPE_TIME)OrderGetInteger(ORDER_TYPE_TIME)));
   o.Int("expiration_ms", GtUtcMs((datetime)OrderGetInteger(ORDER_TIME_EXPIRATION)));
   o.Int("magic", OrderGetInteger(ORDER_MAGIC));
   o.Str("comment", OrderGetString(ORDER_COMMENT));
   o.Int("position_id", OrderGetInteger(ORDER_POSITION_ID));
   o.Int("time_setup_ms", GtUtcMsFromMsc(OrderGetInteger(ORDER_TIME_SETUP_MSC)));
   return o.Text();
  }

// The position selected by PositionSelectByTicket / PositionGetTicket.
string GtPositionRow(void)
  {
   string symbol = PositionGetString(POSITION_SYMBOL);
   int d = GtDigits(symbol);
   int md = GtMoneyDigits();
   GtObj o;
   o.Int("ticket", PositionGetInteger(POSITION_TICKET));
   o.Int("identifier", PositionGetInteger(POSITION_IDENTIFIER));
   o.Str("symbol", symbol);
   o.Str("type", EnumToString((ENUM_POSITION_TYPE)PositionGetInteger(POSITION_TYPE)));
   o.Money("volume", PositionGetDouble(POSITION_VOLUME), GtVolumeDigits(symbol));
   o.Money("price_open", PositionGetDouble(POSITION_PRICE_OPEN), d);
   o.Money("price_current", PositionGetDouble(POSITION_PRICE_CURRENT), d);
   o.Money("sl", PositionGetDouble(POSITION_SL), d);
   o.Money("tp", PositionGetDouble(POSITION_TP), d);
   o.Money("swap", PositionGetDouble(POSITION_SWAP), md);
   o.Money("profit", PositionGetDouble(POSITION_PROFIT), md);
   o.Int("magic", PositionGetInteger(POSITION_MAGIC));
   o.Str("comment", PositionGetString(POSITION_COMMENT));
   o.Int("time_ms", GtUtcMsFromMsc(PositionGetInteger(POSITION_TIME_MSC)));
   o.Int("time_update_ms", GtUtcMsFromMsc(PositionGetInteger(POSITION_TIME_UPDATE_MSC)));
   return o.Text();
  }

// One deal of the selected history (HistorySelect / HistoryDealSelect).
string GtDealRow(const ulong ticket)
  {
   string symbol = HistoryDealGetString(ticket, DEAL_SYMBOL);
   int md = GtMoneyDigits();
   GtObj o;
   o.Int("ticket", (long)ticket);
   o.Int("order", HistoryDealGetInteger(ticket, DEAL_ORDER));
   o.Int("position_id", HistoryDealGetInteger(ticket, DEAL_POSITION_ID));
   o.Str("symbol", symbol);
   o.Str("type", EnumToString((ENUM_DEAL_TYPE)HistoryDealGetInteger(ticket, DEAL_TYPE)));
   o.Str("entry", EnumToString((ENUM_DEAL_ENTRY)HistoryDealGetInteger(ticket, DEAL_ENTRY)));
   o.Money("volume", HistoryDealGetDouble(ticket, DEAL_VOLUME), GtVolumeDigits(symbol));
   o.Money("price", HistoryDealGetDouble(ticket, DEAL_PRICE), GtDigits(symbol));
   o.Money("commission", HistoryDealGetDouble(ticket, DEAL_COMMISSION), md);
   o.Money("swap", HistoryDealGetDouble(ticket, DEAL_SWAP), md);
   o.Money("profit", HistoryDealGetDouble(ticket, DEAL_PROFIT), md);
   o.Money("fee", HistoryDealGetDouble(ticket, DEAL_FEE), md);
   o.Int("magic", HistoryDealGetInteger(ticket, DEAL_MAGIC));
   o.Str("comment", HistoryDealGetString(ticket, DEAL_COMMENT));
   o.Str("reason", EnumToString((ENUM_DEAL_REASON)HistoryDealGetInteger(ticket, DEAL_REASON)));
   o.Int("time_ms", GtUtcMsFromMsc(HistoryDealGetInteger(ticket, DEAL_TIME_MSC)));
   return o.Text();
  }

string GtResultJson(const MqlTradeResult &res, const string symbol, const bool duplicate)
  {
   int d = GtDigits(symbol);
   GtObj o;
   o.Int("retcode", res.retcode);
   o.Int("deal", (long)res.deal);
   o.Int("order", (long)res.order);
   o.Money("volume", res.volume, GtVolumeDigits(symbol));
   o.Money("price", res.price, d);
   o.Money("bid", res.bid, d);
   o.Money("ask", res.ask, d);
   o.Str("comment", res.comment);
   o.Int("request_id", res.request_id);
   o.Bool("duplicate", duplicate);
   return o.Text();
  }

string GtAccountJson(void)
  {
   int md = GtMoneyDigits();
   GtObj o;
   o.Money("balance", AccountInfoDouble(ACCOUNT_BALANCE), md);
   o.Money("equity", AccountInfoDouble(ACCOUNT_EQUITY), md);
   o.Money("margin", AccountInfoDouble(ACCOUNT_MARGIN), md);
   o.Money("margin_free", AccountInfoDouble(ACCOUNT_MARGIN_FREE), md);
   o.Money("margin_level", AccountInfoDouble(ACCOUNT_MARGIN_LEVEL), 2);
   return o.Text();
  }

string GtTerminalJson(void)
  {
   GtObj o;
   o.Bool("trade_allowed", GtTradeAllowed());
   o.Bool("connected", TerminalInfoInteger(TERMINAL_CONNECTED) != 0);
   return o.Text();
  }
//+------------------------------------------------------------------+
