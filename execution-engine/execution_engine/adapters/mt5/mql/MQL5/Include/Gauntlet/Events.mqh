//+------------------------------------------------------------------+
//| Events.mqh (MQL5): what the EA tells the bridge unasked: ticks   |
//| and M1 bars of subscribed symbols (polled on the timer, so one   |
//| chart serves many symbols), account and terminal changes, and    |
//| OnTradeTransaction as `transaction` (and `stop_out`) events.     |
//+------------------------------------------------------------------+

// Every subscribed symbol whose last tick changed since the previous poll, batched.
void GtPollTicks(GtSession &session)
  {
   GtArr rows;
   for(int i = 0; i < ArraySize(g_gt_subs); i++)
     {
      MqlTick tick;
      if(!SymbolInfoTick(g_gt_subs[i], tick))
         continue;
      string key = IntegerToString(tick.time_msc);
      if(key == g_gt_last_tick_key[i])
         continue;
      g_gt_last_tick_key[i] = key;
      rows.Raw(GtTickRow(g_gt_subs[i], tick));
      if(rows.Length() > GT_TICK_BATCH_BYTES)
        {
         GtSendTicks(session, rows);
         rows.Clear();
        }
     }
   GtSendTicks(session, rows);
  }

// A closed M1 bar for each subscribed symbol whose current bar changed.
void GtPollBars(GtSession &session)
  {
   for(int i = 0; i < ArraySize(g_gt_subs); i++)
     {
      datetime open_time = iTime(g_gt_subs[i], PERIOD_M1, 0);
      if(open_time == 0 || open_time == g_gt_last_bar[i])
         continue;
      bool first = g_gt_last_bar[i] == 0;
      g_gt_last_bar[i] = open_time;
      MqlRates closed[];
      if(first || CopyRates(g_gt_subs[i], PERIOD_M1, 1, 1, closed) != 1)
         continue;
      GtObj data;
      data.Str("symbol", g_gt_subs[i]);
      data.Str("timeframe", "M1");
      data.Raw("rate", GtRateRow(g_gt_subs[i], closed[0]));
      session.Event("bar", data.Text());
     }
  }

void GtPollAccountAndTerminal(GtSession &session)
  {
   string account = GtAccountJson();
   if(account != g_gt_last_account)
     {
      g_gt_last_account = account;
      session.Event("account", account);
     }
   string terminal = GtTerminalJson();
   if(terminal != g_gt_last_terminal)
     {
      if(StringFind(terminal, "\"trade_allowed\":false") >= 0)
         Print("Gauntlet: AutoTrading is disabled: switch on Algo Trading in the toolbar and ",
               "'Allow algorithmic trading' in the EA's properties; orders answer 10027");
      g_gt_last_terminal = terminal;
      session.Event("terminal", terminal);
     }
  }

bool GtIsOrderTransaction(const ENUM_TRADE_TRANSACTION_TYPE type)
  {
   return type == TRADE_TRANSACTION_ORDER_ADD || type == TRADE_TRANSACTION_ORDER_UPDATE ||
          type == TRADE_TRANSACTION_ORDER_DELETE || type == TRADE_TRANSACTION_HISTORY_ADD;
  }

// OnTradeTransaction -> `transaction`, with the deal's or the order's full record;
// a stop-out deal also -> `stop_out`. magic_filter 0 reports every magic.
void GtOnTransaction(GtSession &session, const MqlTradeTransaction &trans, const long magic_filter)
  {
   GtObj data;
   data.Str("type", EnumToString(trans.type));
   data.Int("order", (long)trans.order);
   data.Int("deal", (long)trans.deal);
   data.Int("position", (long)trans.position);
   data.Str("symbol", trans.symbol);
   data.Str("order_state", EnumToString(trans.order_state));
   long magic = -1;
   bool stop_out = false;
   if(trans.type == TRADE_TRANSACTION_DEAL_ADD && HistoryDealSelect(trans.deal))
     {
      magic = HistoryDealGetInteger(trans.deal, DEAL_MAGIC);
      stop_out = HistoryDealGetInteger(trans.deal, DEAL_REASON) == DEAL_REASON_SO;
      data.Raw("deal_record", GtDealRow(trans.deal));
     }
   else if(GtIsOrderTransaction(trans.type) && OrderSelect(trans.order))
     {
      magic = OrderGetInteger(ORDER_MAGIC);
      data.Raw("order_record", GtOrderRow(trans.order, false));
     }
   else if(GtIsOrderTransaction(trans.type) && HistoryOrderSelect(trans.order))
     {
      magic = HistoryOrderGetInteger(trans.order, ORDER_MAGIC);
      data.Raw("order_record", GtOrderRow(trans.order, true));
     }
   if(magic_filter != 0 && magic >= 0 && magic != magic_filter)
      return;
   session.Event("transaction", data.Text());
   if(stop_out)
     {
      GtArr closed;
      closed.Int(HistoryDealGetInteger(trans.deal, DEAL_POSITION_ID));
      GtObj so;
      so.Money("margin_level", AccountInfoDouble(ACCOUNT_MARGIN_LEVEL), 2);
      so.Raw("positions", closed.Text());
      session.Event("stop_out", so.Text());
     }
  }
//+------------------------------------------------------------------+
