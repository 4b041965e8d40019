//+------------------------------------------------------------------+
//| Rows.mqh (MQL4): MetaTrader 4's orders mapped onto the protocol's|
//| MQL5-shaped rows. MT4 has one kind of record, the order:         |
//|  - a pending order (OP_BUYLIMIT..OP_SELLSTOP) is an `orders` row;|
//|  - a market order (OP_BUY/OP_SELL) is a position while open, a   |
//|    FILLED history order, and deals: an IN deal (ticket = the     |
//|    order's) and, once closed, an OUT deal whose ticket is the    |
//|    order's + GT_MT4_OUT_DEAL (MT4 gives a close no ticket).      |
//| Every function reads the order selected by OrderSelect().       |
//+------------------------------------------------------------------+
#define GT_MT4_OUT_DEAL 4294967296   // 2^32: out-deal tickets never collide with order tickets
#define GT_MT4_MONEY_DIGITS 2

//--- time: MT4 has no TimeTradeServer; TimeCurrent is the last quote's server time.
long g_gt_offset = 0;
bool g_gt_offset_known = false;

// The server's offset from UTC, rounded to 15 minutes. Taken only while quotes are
// fresh (TimeCurrent within 2 minutes of a 15-minute multiple from GMT), else the last one.
long GtServerOffset(void)
  {
   long raw = (long)(TimeCurrent() - TimeGMT());
   long rounded = (long)MathRound(raw / 900.0) * 900;
   if(MathAbs(raw - rounded) <= 120 || !g_gt_offset_known)
     {
      g_gt_offset = rounded;
      g_gt_offset_known = true;
     }
   return g_gt_offset;
  }

long GtUtcMs(const datetime server_time)
  {
   return server_time == 0 ? 0 : ((long)server_time - GtServerOffset()) * 1000;
  }

datetime GtServerTime(const long utc_ms)
  {
   return (datetime)(utc_ms / 1000 + GtServerOffset());
  }

bool GtTradeAllowed(void)
  {
   return TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) != 0 && MQLInfoInteger(MQL_TRADE_ALLOWED) != 0;
  }

//--- MQL4 OP_* (0..5) have MQL5's ORDER_TYPE_* numbering
string GtOrderTypeName(const int op)
  {
   switch(op)
     {
      case OP_BUY:       return "ORDER_TYPE_BUY";
      case OP_SELL:      return "ORDER_TYPE_SELL";
      case OP_BUYLIMIT:  return "ORDER_TYPE_BUY_LIMIT";
      case OP_SELLLIMIT: return "ORDER_TYPE_SELL_LIMIT";
      case OP_BUYSTOP:   return "ORDER_TYPE_BUY_STOP";
      case OP_SELLSTOP:  return "ORDER_TYPE_SELL_STOP";
     }
   return "";
  }

// -1 for a name MT4 has no order for (the stop limits, close by)
int GtOrderTypeOp(const string name)
  {
   for(int op = OP_BUY; op <= OP_SELLSTOP; op++)
      if(GtOrderTypeName(op) == name)
         return op;
   return -1;
  }

bool GtIsMarket(const int op) { return op == OP_BUY || op == OP_SELL; }

//--- rows -------------------------------------------------------------
string GtTickRow(const string symbol, const MqlTick &t)
  {
   int d = GtDigits(symbol);
   GtArr row;
   row.Str(symbol);
   row.Int(GtUtcMs(t.time));
   row.Money(t.bid, d);
   row.Money(t.ask, d);
   row.Money(t.last, d);
   row.Money((double)t.volume, GtVolumeDigits(symbol));
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

// ORDER_STATE_* of the selected order.
string GtOrderState(void)
  {
   if(GtIsMarket(OrderType()))
      return "ORDER_STATE_FILLED";
   if(OrderCloseTime() == 0)
      return "ORDER_STATE_PLACED";
   if(OrderExpiration() != 0 && OrderCloseTime() >= OrderExpiration())
      return "ORDER_STATE_EXPIRED";
   return "ORDER_STATE_CANCELED";
  }

// The selected order as an `orders` row; with_done adds time_done_ms (`history_orders`).
string GtOrderRow(const bool with_done)
  {
   string symbol = OrderSymbol();
   int d = GtDigits(symbol);
   int vd = GtVolumeDigits(symbol);
   bool market = GtIsMarket(OrderType());
   GtObj o;
   o.Int("ticket", OrderTicket());
   o.Str("symbol", symbol);
   o.Str("type", GtOrderTypeName(OrderType()));
   o.Str("state", GtOrderState());
   o.Money("volume_initial", OrderLots(), vd);
   o.Money("volume_current", market ? 0.0 : OrderLots(), vd);
   o.Money("price_open", OrderOpenPrice(), d);
   o.Money("price_stoplimit", 0.0, d);
   o.Money("sl", OrderStopLoss(), d);
   o.Money("tp", OrderTakeProfit(), d);
   o.Str("type_filling", market ? "ORDER_FILLING_FOK" : "ORDER_FILLING_RETURN");
   o.Str("type_time", OrderExpiration() != 0 ? "ORDER_TIME_SPECIFIED" : "ORDER_TIME_GTC");
   o.Int("expiration_ms", GtUtcMs(OrderExpiration()));
   o.Int("magic", OrderMagicNumber());
   o.Str("comment", OrderComment());
   o.Int("position_id", market ? OrderTicket() : 0);
   o.Int("time_setup_ms", GtUtcMs(OrderOpenTime()));
   if(with_done)
      o.Int("time_done_ms", GtUtcMs(market ? OrderOpenTime() : OrderCloseTime()));
   return o.Text();
  }

// The selected open market order as a `positions` row.
string GtPositionRow(void)
  {
   string symbol = OrderSymbol();
   int d = GtDigits(symbol);
   GtObj o;
   o.Int("ticket", OrderTicket());
   o.Int("identifier", OrderTicket());
   o.Str("symbol", symbol);
   o.Str("type", OrderType() == OP_BUY ? "POSITION_TYPE_BUY" : "POSITION_TYPE_SELL");
   o.Money("volume", OrderLots(), GtVolumeDigits(symbol));
   o.Money("price_open", OrderOpenPrice(), d);
   o.Money("price_current", OrderClosePrice(), d);  // an open order's close price is the current one
   o.Money("sl", OrderStopLoss(), d);
   o.Money("tp", OrderTakeProfit(), d);
   o.Money("swap", OrderSwap(), GT_MT4_MONEY_DIGITS);
   o.Money("profit", OrderProfit(), GT_MT4_MONEY_DIGITS);
   o.Int("magic", OrderMagicNumber());
   o.Str("comment", OrderComment());
   o.Int("time_ms", GtUtcMs(OrderOpenTime()));
   o.Int("time_update_ms", GtUtcMs(OrderOpenTime()));  // MT4 keeps no modification time
   return o.Text();
  }

// Why the selected market order was closed, from the marks MT4 puts in its comment.
string GtCloseReason(void)
  {
   string c = OrderComment();
   if(StringFind(c, "[sl]") >= 0) return "DEAL_REASON_SL";
   if(StringFind(c, "[tp]") >= 0) return "DEAL_REASON_TP";
   if(StringFind(c, "so:") == 0 || StringFind(c, "[so]") >= 0) return "DEAL_REASON_SO";
   return OrderMagicNumber() != 0 ? "DEAL_REASON_EXPERT" : "DEAL_REASON_CLIENT";
  }

// The selected market order's IN deal (out = false) or OUT deal (out = true).
string GtDealRow(const bool out)
  {
   string symbol = OrderSymbol();
   bool buy = OrderType() == OP_BUY;
   GtObj o;
   o.Int("ticket", out ? (long)OrderTicket() + GT_MT4_OUT_DEAL : OrderTicket());
   o.Int("order", OrderTicket());
   o.Int("position_id", OrderTicket());
   o.Str("symbol", symbol);
   o.Str("type", (buy != out) ? "DEAL_TYPE_BUY" : "DEAL_TYPE_SELL");
   o.Str("entry", out ? "DEAL_ENTRY_OUT" : "DEAL_ENTRY_IN");
   o.Money("volume", OrderLots(), GtVolumeDigits(symbol));
   o.Money("price", out ? OrderClosePrice() : OrderOpenPrice(), GtDigits(symbol));
   o.Money("commission", out ? 0.0 : OrderCommission(), GT_MT4_MONEY_DIGITS);
   o.Money("swap", out ? OrderSwap() : 0.0, GT_MT4_MONEY_DIGITS);
   o.Money("profit", out ? OrderProfit() : 0.0, GT_MT4_MONEY_DIGITS);
   o.Money("fee", 0.0, GT_MT4_MONEY_DIGITS);
   o.Int("magic", OrderMagicNumber());
   o.Str("comment", OrderComment());
   o.Str("reason", out ? GtCloseReason() : (OrderMagicNumber() != 0 ? "DEAL_REASON_EXPERT" : "DEAL_REASON_CLIENT"));
   o.Int("time_ms", GtUtcMs(out ? OrderCloseTime() : OrderOpenTime()));
   return o.Text();
  }

string GtResultJson(const uint retcode, const long deal, const long order, const double volume,
                    const double price, const string symbol, const string comment,
                    const int mt4_error, const bool duplicate)
  {
   int d = GtDigits(symbol);
   GtObj o;
   o.Int("retcode", retcode);
   o.Int("deal", deal);
   o.Int("order", order);
   o.Money("volume", volume, GtVolumeDigits(symbol));
   o.Money("price", price, d);
   o.Money("bid", symbol == "" ? 0.0 : MarketInfo(symbol, MODE_BID), d);
   o.Money("ask", symbol == "" ? 0.0 : MarketInfo(symbol, MODE_ASK), d);
   o.Str("comment", comment);
   o.Int("request_id", 0);
   o.Bool("duplicate", duplicate);
   if(mt4_error != 0)
      o.Int("mt4_error", mt4_error);
   return o.Text();
  }

double GtMarginLevel(void)
  {
   double margin = AccountInfoDouble(ACCOUNT_MARGIN);
   return margin > 0 ? AccountInfoDouble(ACCOUNT_EQUITY) / margin * 100.0 : 0.0;
  }

string GtAccountJson(void)
  {
   GtObj o;
   o.Money("balance", AccountInfoDouble(ACCOUNT_BALANCE), GT_MT4_MONEY_DIGITS);
   o.Money("equity", AccountInfoDouble(ACCOUNT_EQUITY), GT_MT4_MONEY_DIGITS);
   o.Money("margin", AccountInfoDouble(ACCOUNT_MARGIN), GT_MT4_MONEY_DIGITS);
   o.Money("margin_free", AccountInfoDouble(ACCOUNT_MARGIN_FREE), GT_MT4_MONEY_DIGITS);
   o.Money("margin_level", GtMarginLevel(), 2);
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
