//+------------------------------------------------------------------+
//| GauntletBridge.mq4: the MetaTrader 4 side of Gauntlet's bridge.  |
//| MQL4 programs have no sockets, so the EA speaks the same lines   |
//| as the MT5 EA over HTTPS polling (WebRequest POSTs, transport 2  |
//| of docs/mt5-bridge-protocol.md, version 1): /mt4/v1/hello, /auth,|
//| then /poll every 100 ms with X-Gauntlet-Session. It executes     |
//| nothing but the operations in Dispatch() below.                  |
//+------------------------------------------------------------------+
#property copyright "Gauntlet"
#property version   "1.00"
#property description "Gauntlet bridge, protocol version 1 (HTTPS polling transport)"
#property strict

input string InpHost        = "127.0.0.1"; // Bridge host
input ushort InpPort        = 7580;        // Bridge port ([bridge] http_port)
input bool   InpTls         = true;        // HTTPS (plain HTTP only to a bridge on 127.0.0.1)
input string InpTerminalId  = "";          // Terminal id, as in Gauntlet's venue config
input string InpToken       = "";          // Token: gt1.<terminal>.<expires>.<secret>
input long   InpMagicFilter = 0;           // Report transactions of this magic only (0: all)

#include <Gauntlet/Json.mqh>
#include <Gauntlet/Hmac.mqh>
#include <Gauntlet/Protocol.mqh>
#include <Gauntlet/Session.mqh>
#include <Gauntlet/Common.mqh>
#include <Gauntlet/Rows.mqh>
#include <Gauntlet/Events.mqh>
#include <Gauntlet/Ops.mqh>

#define GT_POLL_MS 100
#define GT_HTTP_TIMEOUT_MS 5000
#define GT_ACCOUNT_EVERY_MS 1000
#define GT_POLLS_AFTER_ANSWER 8     // polls in a row while requests keep coming
#define GT_LINES_PER_BODY 64        // the bridge refuses a body over 64 full lines
#define GT_ERR_URL_NOT_ALLOWED 4060 // WebRequest: the URL is not on the allow-list

// The protocol's `req.op` table: these and nothing else.
bool Dispatch(const string op, GtJson *args, string &data, string &code, string &message)
  {
   if(op == "account_info")   return GtOpAccountInfo(args, data, code, message);
   if(op == "symbols")        return GtOpSymbols(args, data, code, message);
   if(op == "subscribe")      return GtOpSubscribe(args, data, code, message, true);
   if(op == "unsubscribe")    return GtOpSubscribe(args, data, code, message, false);
   if(op == "tick")           return GtOpTick(args, data, code, message);
   if(op == "rates")          return GtOpRates(args, data, code, message);
   if(op == "order_send")     return GtOpOrderSend(args, data, code, message);
   if(op == "positions")      return GtOpPositions(args, data, code, message);
   if(op == "orders")         return GtOpOrders(args, data, code, message);
   if(op == "history_orders") return GtOpHistoryOrders(args, data, code, message);
   if(op == "history_deals")  return GtOpHistoryDeals(args, data, code, message);
   return GtFail(code, message, "UNKNOWN_OP", "this EA executes no operation named " + op);
  }

GtSession    g_session;
GtLineBuffer g_inbox;
bool         g_connected = false;     // authenticated: polling with a session
int          g_attempt = 0;
ulong        g_next_connect_ms = 0;
ulong        g_next_account_ms = 0;
const int    g_backoff_s[] = {1, 2, 4, 8, 16, 30};

int OnInit()
  {
   if(InpTerminalId == "" || InpToken == "")
     {
      Print("Gauntlet: InpTerminalId and InpToken are required (see docs/mt5-install.md)");
      return INIT_PARAMETERS_INCORRECT;
     }
   MathSrand((uint)GetMicrosecondCount());
   EventSetMillisecondTimer(GT_POLL_MS);
   return INIT_SUCCEEDED;
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
  }

void OnTimer()
  {
   if(!g_connected)
     {
      Connect();
      return;
     }
   for(int turn = 0; turn < GT_POLLS_AFTER_ANSWER; turn++)
     {
      g_session.answered = false;
      if(!Poll())
        {
         Drop();
         return;
        }
      if(!g_session.answered && g_session.Queued() == 0)
         break;  // poll again at once only after answering a request, or with lines left
     }
  }

//--- HTTP ------------------------------------------------------------------
string BaseUrl()
  {
   return (InpTls ? "https://" : "http://") + InpHost + ":" + IntegerToString(InpPort);
  }

// POST body to path; the HTTP status (-1: no answer), the response lines into g_inbox.
int Post(const string path, const string body, const string session)
  {
   char data[], result[];
   string result_headers;
   int n = StringToCharArray(body, data, 0, WHOLE_ARRAY, CP_UTF8);
   ArrayResize(data, n > 0 ? n - 1 : 0);  // no terminating zero in the body
   string headers = "Content-Type: application/x-ndjson\r\n";
   if(session != "")
      headers += "X-Gauntlet-Session: " + session + "\r\n";
   ResetLastError();
   int status = WebRequest("POST", BaseUrl() + path, headers, GT_HTTP_TIMEOUT_MS, data, result, result_headers);
   if(status == -1)
     {
      int err = GetLastError();
      if(err == GT_ERR_URL_NOT_ALLOWED)
         Print("Gauntlet: WebRequest refused: add ", BaseUrl(), " to Tools > Options > ",
               "Expert Advisors > 'Allow WebRequest for listed URL'");
      else
         Print("Gauntlet: no answer from ", BaseUrl(), path, " (error ", err, "): is the bridge running? ",
               "Over HTTPS its certificate must chain to a CA in the Windows certificate store");
      return -1;
     }
   uchar bytes[];
   int size = ArraySize(result);
   ArrayResize(bytes, size + 1);
   for(int i = 0; i < size; i++)
      bytes[i] = (uchar)result[i];
   bytes[size] = '\n';  // the last line of a body may lack its newline
   g_inbox.Append(bytes, size + 1);
   return status;
  }

// Feed the response lines to the session; false if a line was over the cap.
bool Deliver()
  {
   string line;
   while(g_inbox.Next(line))
      g_session.OnLine(line);
   if(g_inbox.oversized)
     {
      Print("Gauntlet: the bridge sent a line over ", GT_MAX_LINE, " bytes: reconnecting");
      g_inbox.Clear();
      return false;
     }
   return true;
  }

string Outgoing()
  {
   string lines[];
   int count = g_session.TakeOutbox(lines, GT_LINES_PER_BODY);
   string body = "";
   for(int i = 0; i < count; i++)
      body += lines[i] + "\n";
   return body;
  }

//--- session -----------------------------------------------------------------
void ScheduleReconnect()
  {
   int last = ArraySize(g_backoff_s) - 1;
   int i = g_attempt < last ? g_attempt : last;
   g_next_connect_ms = GtNowMs() + (ulong)g_backoff_s[i] * 1000;
   g_attempt++;
  }

// hello -> auth -> welcome, each a POST; on success g_connected.
void Connect()
  {
   if(g_session.give_up || GtNowMs() < g_next_connect_ms)
      return;
   g_inbox.Clear();
   g_session.Start(InpToken, InpTerminalId, "mt4", AccountInfoInteger(ACCOUNT_LOGIN),
                   AccountInfoString(ACCOUNT_SERVER));
   if(Post("/mt4/v1/hello", "", "") != 200 || !Deliver() || g_session.state != GT_WAIT_WELCOME)
     {
      Outgoing();  // a MALFORMED answer to a bad hello has no one to go to
      ScheduleReconnect();
      return;
     }
   if(Post("/mt4/v1/auth", Outgoing(), "") != 200 || !Deliver() || g_session.state != GT_READY)
     {
      ScheduleReconnect();
      return;
     }
   g_connected = true;
   g_attempt = 0;
   g_session.welcomed = false;
   GtEventsReset();
   GtTradesReset();
   g_next_account_ms = 0;
  }

// A dead session: authenticate again after the backoff.
void Drop()
  {
   g_connected = false;
   ScheduleReconnect();
  }

// One poll: events out with the answers, the bridge's queued lines in.
bool Poll()
  {
   GtPollTrades(g_session, InpMagicFilter);
   GtPollTicks(g_session);
   GtPollBars(g_session);
   if(GtNowMs() >= g_next_account_ms)
     {
      GtPollAccountAndTerminal(g_session);
      g_next_account_ms = GtNowMs() + GT_ACCOUNT_EVERY_MS;
     }
   if(!g_session.Alive())
      return false;
   int status = Post("/mt4/v1/poll", Outgoing(), g_session.session_id);
   if(status == 401)
     {
      Print("Gauntlet: the bridge no longer knows session ", g_session.session_id, ": authenticating again");
      g_attempt = 0;
      return false;
     }
   if(status != 200)
      return false;
   g_session.Touch();
   if(!Deliver())
      return false;
   if(g_session.answered)
      GtPollTrades(g_session, InpMagicFilter);  // the fills of what was just sent go out next poll
   return !g_session.closing;
  }
//+------------------------------------------------------------------+
