//+------------------------------------------------------------------+
//| Common.mqh: helpers both EAs share: digits, prefixes, the        |
//| protocol's timeframe names, refusals, and the subscriptions of   |
//| the session. Identical in MQL5/ and MQL4/.                       |
//+------------------------------------------------------------------+
#define GT_TICK_BATCH_BYTES 32768   // half a line: a tick batch always fits under GT_MAX_LINE

int GtDigits(const string symbol)
  {
   return symbol == "" ? 5 : (int)SymbolInfoInteger(symbol, SYMBOL_DIGITS);
  }

// A volume's digits: those of the symbol's volume step (0.01 -> 2).
int GtVolumeDigits(const string symbol)
  {
   double step = symbol == "" ? 0.01 : SymbolInfoDouble(symbol, SYMBOL_VOLUME_STEP);
   int d = 0;
   while(d < 8 && MathAbs(step * MathPow(10, d) - MathRound(step * MathPow(10, d))) > 1e-9)
      d++;
   return d;
  }

bool GtHasPrefix(const string s, const string prefix)
  {
   return prefix == "" || StringSubstr(s, 0, StringLen(prefix)) == prefix;
  }

//--- Gauntlet's key in a comment: "gt1:" + 24 hex digits (keys.py) -----
#define GT_KEY_PREFIX "gt1:"
#define GT_KEY_LENGTH 28

// The key a comment carries (the server may append to it), or "" if none.
string GtKeyOf(const string comment)
  {
   if(!GtHasPrefix(comment, GT_KEY_PREFIX) || StringLen(comment) < GT_KEY_LENGTH)
      return "";
   return StringSubstr(comment, 0, GT_KEY_LENGTH);
  }

bool GtFail(string &code, string &message, const string c, const string m)
  {
   code = c;
   message = m;
   return false;
  }

bool GtKnownSymbol(const string symbol)
  {
   return symbol != "" && SymbolSelect(symbol, true);
  }

bool GtTimeframe(const string name, ENUM_TIMEFRAMES &tf)
  {
   if(name == "M1") tf = PERIOD_M1;
   else if(name == "M5") tf = PERIOD_M5;
   else if(name == "M15") tf = PERIOD_M15;
   else if(name == "M30") tf = PERIOD_M30;
   else if(name == "H1") tf = PERIOD_H1;
   else if(name == "H4") tf = PERIOD_H4;
   else if(name == "D1") tf = PERIOD_D1;
   else return false;
   return true;
  }

//--- the session's subscriptions -------------------------------------
string   g_gt_subs[];
string   g_gt_last_tick_key[];   // what identifies the last tick sent, per symbol
datetime g_gt_last_bar[];
string   g_gt_last_account = "";
string   g_gt_last_terminal = "";

int GtSubIndex(const string symbol)
  {
   for(int i = 0; i < ArraySize(g_gt_subs); i++)
      if(g_gt_subs[i] == symbol)
         return i;
   return -1;
  }

// Kept sorted by name, so `subscribe` answers the list in a stable order.
void GtSubscribe(const string symbol)
  {
   if(GtSubIndex(symbol) >= 0)
      return;
   int n = ArraySize(g_gt_subs);
   ArrayResize(g_gt_subs, n + 1);
   ArrayResize(g_gt_last_tick_key, n + 1);
   ArrayResize(g_gt_last_bar, n + 1);
   int at = n;
   while(at > 0 && StringCompare(g_gt_subs[at - 1], symbol) > 0)
     {
      g_gt_subs[at] = g_gt_subs[at - 1];
      g_gt_last_tick_key[at] = g_gt_last_tick_key[at - 1];
      g_gt_last_bar[at] = g_gt_last_bar[at - 1];
      at--;
     }
   g_gt_subs[at] = symbol;
   g_gt_last_tick_key[at] = "";
   g_gt_last_bar[at] = 0;
  }

void GtUnsubscribe(const string symbol)
  {
   int i = GtSubIndex(symbol);
   if(i < 0)
      return;
   int last = ArraySize(g_gt_subs) - 1;
   for(int j = i; j < last; j++)  // shift down: the list stays sorted
     {
      g_gt_subs[j] = g_gt_subs[j + 1];
      g_gt_last_tick_key[j] = g_gt_last_tick_key[j + 1];
      g_gt_last_bar[j] = g_gt_last_bar[j + 1];
     }
   ArrayResize(g_gt_subs, last);
   ArrayResize(g_gt_last_tick_key, last);
   ArrayResize(g_gt_last_bar, last);
  }

string GtSubsJson(void)
  {
   GtArr names;
   for(int i = 0; i < ArraySize(g_gt_subs); i++)
      names.Str(g_gt_subs[i]);
   return names.Text();
  }

// A new session: subscriptions belong to it, and account/terminal are sent afresh.
void GtEventsReset(void)
  {
   ArrayResize(g_gt_subs, 0);
   ArrayResize(g_gt_last_tick_key, 0);
   ArrayResize(g_gt_last_bar, 0);
   g_gt_last_account = "";
   g_gt_last_terminal = "";
  }

void GtSendTicks(GtSession &session, GtArr &rows)
  {
   if(rows.Count() == 0)
      return;
   GtObj data;
   data.Raw("ticks", rows.Text());
   session.Event("ticks", data.Text());
  }

//+------------------------------------------------------------------+
