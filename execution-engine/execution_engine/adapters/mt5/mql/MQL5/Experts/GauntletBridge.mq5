//+------------------------------------------------------------------+
//| GauntletBridge.mq5: the MetaTrader 5 side of Gauntlet's bridge.  |
//| Dials out to the bridge server over TLS (MQL5 sockets are client |
//| only), authenticates with the terminal's token, then answers the |
//| operations of docs/mt5-bridge-protocol.md version 1 and reports  |
//| ticks, bars, trade transactions, account and terminal changes.   |
//| It executes nothing but the operations in Dispatch() below.      |
//+------------------------------------------------------------------+
#property copyright "Gauntlet"
#property version   "1.00"
#property description "Gauntlet bridge, protocol version 1 (TLS socket transport)"

input string InpHost        = "127.0.0.1"; // Bridge host (on the WebRequest allow-list)
input ushort InpPort        = 7580;        // Bridge port ([bridge] port)
input bool   InpTls         = true;        // TLS (required unless the bridge is on 127.0.0.1)
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

#define GT_TIMER_MS 50
#define GT_CONNECT_TIMEOUT_MS 3000
#define GT_ACCOUNT_EVERY_MS 1000

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
int          g_socket = INVALID_HANDLE;
int          g_attempt = 0;          // failed connects since the last welcome
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
   EventSetMillisecondTimer(GT_TIMER_MS);
   return INIT_SUCCEEDED;
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   Disconnect();
  }

void OnTimer()
  {
   if(g_socket == INVALID_HANDLE)
     {
      Connect();
      return;
     }
   if(!Pump())
      Disconnect();
  }

void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request,
                        const MqlTradeResult &result)
  {
   if(g_socket == INVALID_HANDLE || g_session.state != GT_READY)
      return;
   GtOnTransaction(g_session, trans, InpMagicFilter);
   if(!Flush())
      Disconnect();
  }

//--- connection ------------------------------------------------------------
void ScheduleReconnect()
  {
   int last = ArraySize(g_backoff_s) - 1;
   int i = g_attempt < last ? g_attempt : last;
   g_next_connect_ms = GtNowMs() + (ulong)g_backoff_s[i] * 1000;
   g_attempt++;
  }

void Connect()
  {
   if(g_session.give_up || GtNowMs() < g_next_connect_ms)
      return;
   g_socket = SocketCreate();
   if(g_socket == INVALID_HANDLE)
     {
      Print("Gauntlet: SocketCreate failed, error ", GetLastError());
      ScheduleReconnect();
      return;
     }
   if(!SocketConnect(g_socket, InpHost, InpPort, GT_CONNECT_TIMEOUT_MS))
     {
      int err = GetLastError();
      Print("Gauntlet: cannot connect to ", InpHost, ":", InpPort, " (error ", err, "): is the ",
            "bridge running, and is ", InpHost, " in Tools > Options > Expert Advisors > ",
            "'Allow WebRequest for listed URL'?");
      Disconnect();
      return;
     }
   if(InpTls && !SocketTlsHandshake(g_socket, InpHost))
     {
      int err = GetLastError();
      Print("Gauntlet: TLS handshake with ", InpHost, " failed (error ", err, "): the bridge's ",
            "certificate must name ", InpHost, " and chain to a CA in the Windows certificate store");
      Disconnect();
      return;
     }
   g_inbox.Clear();
   g_session.Start(InpToken, InpTerminalId, "mt5", AccountInfoInteger(ACCOUNT_LOGIN),
                   AccountInfoString(ACCOUNT_SERVER));
  }

void Disconnect()
  {
   if(g_socket != INVALID_HANDLE)
     {
      SocketClose(g_socket);
      g_socket = INVALID_HANDLE;
      ScheduleReconnect();
     }
  }

// One timer turn of a live connection; false when it must close.
bool Pump()
  {
   if(!Receive())
      return false;
   string line;
   while(g_inbox.Next(line))
      g_session.OnLine(line);
   if(g_inbox.oversized)
     {
      g_session.Send(GtMsgError("TOO_LARGE", "a line exceeds 65536 bytes"));
      Flush();
      return false;
     }
   if(g_session.welcomed)
     {
      g_session.welcomed = false;
      g_attempt = 0;
      GtEventsReset();
      g_next_account_ms = 0;
     }
   if(g_session.state == GT_READY)
     {
      GtPollTicks(g_session);
      GtPollBars(g_session);
      if(GtNowMs() >= g_next_account_ms)
        {
         GtPollAccountAndTerminal(g_session);
         g_next_account_ms = GtNowMs() + GT_ACCOUNT_EVERY_MS;
        }
     }
   if(!g_session.Alive())
      return false;
   if(!Flush())
      return false;
   return !g_session.closing;
  }

bool Receive()
  {
   if(!SocketIsConnected(g_socket))
     {
      Print("Gauntlet: the bridge closed the connection");
      return false;
     }
   uchar chunk[];
   for(int turn = 0; turn < 64; turn++)
     {
      int n;
      if(InpTls)
         n = SocketTlsReadAvailable(g_socket, chunk, GT_MAX_LINE);
      else
        {
         uint ready = SocketIsReadable(g_socket);
         n = ready == 0 ? 0 : SocketRead(g_socket, chunk, (ready < (uint)GT_MAX_LINE ? ready : (uint)GT_MAX_LINE), 10);
        }
      if(n < 0)
        {
         Print("Gauntlet: read failed, error ", GetLastError());
         return false;
        }
      if(n == 0)
         break;
      g_inbox.Append(chunk, n);
     }
   return true;
  }

bool Flush()
  {
   string lines[];
   int count = g_session.TakeOutbox(lines);
   for(int i = 0; i < count; i++)
     {
      uchar bytes[];
      int n = GtUtf8(lines[i] + "\n", bytes);
      int sent = InpTls ? SocketTlsSend(g_socket, bytes, n) : SocketSend(g_socket, bytes, n);
      if(sent != n)
        {
         Print("Gauntlet: send failed, error ", GetLastError());
         return false;
        }
     }
   return true;
  }
//+------------------------------------------------------------------+
