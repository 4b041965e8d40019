//+------------------------------------------------------------------+
//| Session.mqh: the protocol's state machine on the EA's side,      |
//| transport-free: lines in (OnLine), lines out (TakeOutbox).       |
//| hello -> auth -> welcome (checked) -> requests and events, ping/ |
//| pong, the 3 x heartbeat_s silence rule. Requests go to           |
//| Dispatch(), which each EA defines before including this file.    |
//| Identical in MQL5/ and MQL4/.                                    |
//+------------------------------------------------------------------+
enum GtState { GT_WAIT_HELLO, GT_WAIT_WELCOME, GT_READY };

// Each EA's table of operations (GauntletBridge.mq5 / .mq4): false means
// `res ok=false` with error {code, message}; an op it lacks is UNKNOWN_OP.
bool Dispatch(const string op, GtJson *args, string &data, string &code, string &message);

ulong GtNowMs(void) { return GetMicrosecondCount() / 1000; }

class GtSession
  {
   string            m_token;
   string            m_terminal;
   string            m_platform;
   long              m_login;
   string            m_broker;
   string            m_bridge_nonce;
   string            m_ea_nonce;
   long              m_seq;
   ulong             m_last_sent_ms;
   ulong             m_last_recv_ms;
   string            m_outbox[];

public:
                     GtSession(void)
     {
      state = GT_WAIT_HELLO;
      heartbeat_ms = GT_DEFAULT_HEARTBEAT_S * 1000;
      closing = false;
      give_up = false;
      welcomed = false;
      answered = false;
     }
   GtState           state;
   string            session_id;
   ulong             heartbeat_ms;  // welcome's heartbeat_s (a JSON number, maybe fractional)
   bool              closing;     // the EA must close this connection now
   bool              give_up;     // no common version: stop reconnecting until the EA is updated
   bool              welcomed;    // set once on welcome; the EA clears it after its first events
   bool              answered;    // a res was queued (MT4 polls again at once)

   void              Start(const string token, const string terminal, const string platform,
                           const long login, const string broker)
     {
      m_token = token;
      m_terminal = terminal;
      m_platform = platform;
      m_login = login;
      m_broker = broker;
      m_seq = 0;
      ArrayResize(m_outbox, 0);
      state = GT_WAIT_HELLO;
      session_id = "";
      heartbeat_ms = GT_DEFAULT_HEARTBEAT_S * 1000;
      closing = false;
      welcomed = false;
      answered = false;
      m_last_sent_ms = GtNowMs();
      m_last_recv_ms = GtNowMs();
     }

   // A reply (HTTP 2xx) or any bytes from the bridge count as hearing from it.
   void              Touch(void) { m_last_recv_ms = GtNowMs(); }

   void              OnLine(const string line)
     {
      Touch();
      if(line == "")
         return;
      GtJsonParser parser;
      GtJson *msg = parser.Parse(line);
      if(msg == NULL)
        {
         Send(GtMsgError("MALFORMED", "not JSON: " + parser.error));
         return;
        }
      string type = msg.kind == GT_OBJ ? msg.Str("type") : "";
      if(type == "hello" && state == GT_WAIT_HELLO)
         OnHello(msg);
      else if(type == "welcome" && state == GT_WAIT_WELCOME)
         OnWelcome(msg);
      else if(type == "denied")
         OnDenied(msg);
      else if(type == "ping")
         Send(GtMsgPing("pong", msg.Int("t_ms")));
      else if(type == "pong")
        {
         // nothing to answer: receiving it already counted as hearing from the bridge
        }
      else if(type == "req" && state == GT_READY)
         OnRequest(msg);
      else if(type == "error")
        {
         Print("Gauntlet: the bridge reports ", msg.Str("code"), ": ", msg.Str("message"));
         closing = true;
        }
      else if(type == "")
         Send(GtMsgError("MALFORMED", "missing field: type"));
      else
         Send(GtMsgError("MALFORMED", "unexpected type here: " + type));
      delete msg;
     }

   // Heartbeats; false when the bridge has been silent for 3 x heartbeat_s.
   bool              Alive(void)
     {
      ulong now = GtNowMs();
      ulong period = heartbeat_ms;
      if(now - m_last_recv_ms > 3 * period)
        {
         Print("Gauntlet: nothing from the bridge for ", 3 * period, " ms: reconnecting");
         return false;
        }
      if(state == GT_READY && now - m_last_sent_ms >= period)
         Send(GtMsgPing("ping", (long)TimeGMT() * 1000));
      return true;
     }

   // An `evt` line, numbered per session; dropped before welcome (the adapter
   // recovers what it missed by reading orders, positions and deals).
   void              Event(const string name, const string data_json)
     {
      if(state != GT_READY)
         return;
      m_seq++;
      if(!Send(GtMsgEvt(m_seq, name, data_json)))
         Print("Gauntlet: event ", name, " larger than ", GT_MAX_LINE, " bytes, dropped");
     }

   bool              Send(const string line)
     {
      if(GtLineBytes(line) > GT_MAX_LINE)
         return false;
      int n = ArraySize(m_outbox);
      ArrayResize(m_outbox, n + 1);
      m_outbox[n] = line;
      m_last_sent_ms = GtNowMs();
      return true;
     }

   // The oldest queued lines, at most `most` of them (an HTTP body has a size limit).
   int               TakeOutbox(string &lines[], const int most = 2147483647)
     {
      int queued = ArraySize(m_outbox);
      int n = queued < most ? queued : most;
      ArrayResize(lines, n);
      for(int i = 0; i < n; i++)
         lines[i] = m_outbox[i];
      for(int i = n; i < queued; i++)
         m_outbox[i - n] = m_outbox[i];
      ArrayResize(m_outbox, queued - n);
      return n;
     }

   int               Queued(void) const { return ArraySize(m_outbox); }

private:
   void              OnHello(GtJson *msg)
     {
      m_bridge_nonce = msg.Str("nonce");
      if(StringLen(m_bridge_nonce) != 32)
        {
         Send(GtMsgError("MALFORMED", "hello needs nonce (32 hex)"));
         closing = true;
         return;
        }
      // The EA speaks one version and offers it even when hello's list lacks it: the
      // bridge then answers denied VERSION_MISMATCH, and OnDenied stops reconnecting.
      m_ea_nonce = GtNonce(m_terminal);
      string mac = GtHmacSha256Hex(m_token, GtAuthMacInput(m_bridge_nonce, m_terminal, m_ea_nonce));
      Send(GtMsgAuth(m_terminal, m_platform, m_login, m_broker, m_ea_nonce, mac));
      state = GT_WAIT_WELCOME;
     }

   void              OnWelcome(GtJson *msg)
     {
      string expected = GtHmacSha256Hex(m_token, GtWelcomeMacInput(m_ea_nonce, m_bridge_nonce));
      if(!GtMacEquals(expected, msg.Str("mac")))
        {
         Print("Gauntlet: the bridge's welcome is not signed with InpToken: disconnecting ",
               "(a bridge that does not hold this terminal's token)");
         closing = true;
         return;
        }
      session_id = msg.Str("session");
      double heartbeat_s = msg.Dbl("heartbeat_s", GT_DEFAULT_HEARTBEAT_S);
      heartbeat_ms = heartbeat_s > 0 ? (ulong)(heartbeat_s * 1000) : GT_DEFAULT_HEARTBEAT_S * 1000;
      state = GT_READY;
      welcomed = true;
      Print("Gauntlet: connected, protocol ", GT_PROTOCOL_VERSION, ", session ", session_id);
     }

   void              OnDenied(GtJson *msg)
     {
      string reason = msg.Str("reason");
      string detail = msg.Str("message");
      if(reason == "BAD_TOKEN")
         Print("Gauntlet: BAD_TOKEN: the bridge rejected InpToken for terminal ", m_terminal,
               ": paste the token Gauntlet created for it (", detail, ")");
      else if(reason == "TOKEN_EXPIRED")
         Print("Gauntlet: TOKEN_EXPIRED: the token of terminal ", m_terminal,
               " has expired: create a new one and paste it in InpToken (", detail, ")");
      else if(reason == "VERSION_MISMATCH")
        {
         Print("Gauntlet: VERSION_MISMATCH: the bridge speaks versions ",
               JoinVersions(msg.Get("versions")), ", this EA speaks ", GT_PROTOCOL_VERSION,
               ": update the EA; not reconnecting");
         give_up = true;
        }
      else if(reason == "UNKNOWN_TERMINAL")
         Print("Gauntlet: UNKNOWN_TERMINAL: the bridge has no terminal '", m_terminal,
               "': InpTerminalId must match the venue config (", detail, ")");
      else if(reason == "BUSY")
         Print("Gauntlet: BUSY: another terminal is connected as '", m_terminal, "' (", detail, ")");
      else
         Print("Gauntlet: denied: ", reason, " ", detail);
      closing = true;
     }

   void              OnRequest(GtJson *msg)
     {
      long id = msg.Int("id", -1);
      string op = msg.Str("op");
      if(id < 0 || op == "")
        {
         Send(GtMsgError("MALFORMED", "req needs id and op"));
         return;
        }
      GtJson empty;
      empty.kind = GT_OBJ;
      GtJson *args = msg.Get("args");
      if(args == NULL || args.kind == GT_NULL)
         args = GetPointer(empty);
      string data = "{}", code = "", message = "";
      string line;
      if(args.kind != GT_OBJ)
         line = GtMsgResError(id, "BAD_ARGS", "args of " + op + " must be an object");
      else if(Dispatch(op, args, data, code, message))
         line = GtMsgResOk(id, data);
      else
         line = GtMsgResError(id, code, message);
      if(!Send(line))
         Send(GtMsgResError(id, "TOO_LARGE", "the answer exceeds 65536 bytes: ask for fewer rows"));
      answered = true;
     }

   string            JoinVersions(GtJson *versions)
     {
      if(versions == NULL)
         return "[]";
      string out = "";
      for(int i = 0; i < versions.Size(); i++)
         out += (i > 0 ? "," : "") + versions.At(i).text;
      return "[" + out + "]";
     }
  };
//+------------------------------------------------------------------+
