//+------------------------------------------------------------------+
//| Events.mqh (MQL4): what the EA tells the bridge unasked. Ticks,  |
//| M1 bars, account and terminal as on MT5. MT4 has no              |
//| OnTradeTransaction: the EA compares its order list with the one  |
//| of the previous poll and reports the difference as MT5 would:    |
//|   new pending order          -> TRADE_TRANSACTION_ORDER_ADD      |
//|   new market order / pending |                                   |
//|   order turned market        -> TRADE_TRANSACTION_DEAL_ADD (IN)  |
//|   market order gone (closed) -> TRADE_TRANSACTION_DEAL_ADD (OUT) |
//|   pending order gone         -> TRADE_TRANSACTION_ORDER_DELETE   |
//+------------------------------------------------------------------+
int  g_gt_known_tickets[];
int  g_gt_known_types[];
bool g_gt_known_ready = false;   // false: the next poll only takes the first snapshot

// Every subscribed symbol whose last quote changed since the previous poll, batched.
void GtPollTicks(GtSession &session)
  {
   GtArr rows;
   for(int i = 0; i < ArraySize(g_gt_subs); i++)
     {
      MqlTick tick;
      if(!SymbolInfoTick(g_gt_subs[i], tick))
         continue;
      // MT4's ticks carry seconds only: the quote itself tells two ticks of a second apart
      string key = IntegerToString((long)tick.time) + "|" + DoubleToString(tick.bid, 8) + "|" +
                   DoubleToString(tick.ask, 8);
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
         Print("Gauntlet: AutoTrading is disabled: press AutoTrading in the toolbar and tick ",
               "'Allow live trading' in the EA's properties; orders answer 10027");
      g_gt_last_terminal = terminal;
      session.Event("terminal", terminal);
     }
  }

void GtTradesReset(void)
  {
   ArrayResize(g_gt_known_tickets, 0);
   ArrayResize(g_gt_known_types, 0);
   g_gt_known_ready = false;
  }

int GtKnownIndex(const int ticket)
  {
   for(int i = 0; i < ArraySize(g_gt_known_tickets); i++)
      if(g_gt_known_tickets[i] == ticket)
         return i;
   return -1;
  }

// One `transaction` about the selected order; a deal record when `deal` is IN or OUT.
void GtSendTransaction(GtSession &session, const string type, const bool is_deal, const bool out)
  {
   bool market = GtIsMarket(OrderType());
   GtObj data;
   data.Str("type", type);
   data.Int("order", OrderTicket());
   data.Int("deal", is_deal ? (out ? (long)OrderTicket() + GT_MT4_OUT_DEAL : OrderTicket()) : 0);
   data.Int("position", market ? OrderTicket() : 0);
   data.Str("symbol", OrderSymbol());
   data.Str("order_state", GtOrderState());
   if(is_deal)
      data.Raw("deal_record", GtDealRow(out));
   else
      data.Raw("order_record", GtOrderRow(OrderCloseTime() != 0));
   session.Event("transaction", data.Text());
   if(is_deal && out && GtCloseReason() == "DEAL_REASON_SO")
     {
      GtArr closed;
      closed.Int(OrderTicket());
      GtObj so;
      so.Money("margin_level", GtMarginLevel(), 2);
      so.Raw("positions", closed.Text());
      session.Event("stop_out", so.Text());
     }
  }

// The difference between the open orders now and at the previous poll, as transactions.
void GtPollTrades(GtSession &session, const long magic_filter)
  {
   int tickets[], types[];
   int n = OrdersTotal();
   ArrayResize(tickets, n);
   ArrayResize(types, n);
   int count = 0;
   for(int i = 0; i < n; i++)
     {
      if(!OrderSelect(i, SELECT_BY_POS, MODE_TRADES))
         continue;
      tickets[count] = OrderTicket();
      types[count] = OrderType();
      count++;
     }
   ArrayResize(tickets, count);
   ArrayResize(types, count);
   if(g_gt_known_ready)
     {
      for(int i = 0; i < count; i++)
        {
         int k = GtKnownIndex(tickets[i]);
         bool opened = k < 0;
         bool triggered = k >= 0 && !GtIsMarket(g_gt_known_types[k]) && GtIsMarket(types[i]);
         if(!(opened || triggered) || !OrderSelect(tickets[i], SELECT_BY_TICKET))
            continue;
         if(magic_filter != 0 && OrderMagicNumber() != magic_filter)
            continue;
         if(GtIsMarket(types[i]))
            GtSendTransaction(session, "TRADE_TRANSACTION_DEAL_ADD", true, false);
         else
            GtSendTransaction(session, "TRADE_TRANSACTION_ORDER_ADD", false, false);
        }
      for(int k = 0; k < ArraySize(g_gt_known_tickets); k++)
        {
         bool still_open = false;
         for(int i = 0; i < count; i++)
            if(tickets[i] == g_gt_known_tickets[k])
               still_open = true;
         if(still_open || !OrderSelect(g_gt_known_tickets[k], SELECT_BY_TICKET))
            continue;
         if(magic_filter != 0 && OrderMagicNumber() != magic_filter)
            continue;
         if(GtIsMarket(OrderType()))
            GtSendTransaction(session, "TRADE_TRANSACTION_DEAL_ADD", true, true);
         else
            GtSendTransaction(session, "TRADE_TRANSACTION_ORDER_DELETE", false, false);
        }
     }
   ArrayCopy(g_gt_known_tickets, tickets);
   ArrayResize(g_gt_known_tickets, count);
   ArrayCopy(g_gt_known_types, types);
   ArrayResize(g_gt_known_types, count);
   g_gt_known_ready = true;
  }
//+------------------------------------------------------------------+
