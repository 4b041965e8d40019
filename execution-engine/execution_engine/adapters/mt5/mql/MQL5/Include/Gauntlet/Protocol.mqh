//+------------------------------------------------------------------+
//| Protocol.mqh: the wire of docs/mt5-bridge-protocol.md version 1: |
//| the version, the line cap, the MAC inputs, the messages the EA   |
//| writes, and the byte buffer that cuts a stream into lines.       |
//| Identical in MQL5/ and MQL4/.                                    |
//+------------------------------------------------------------------+
#define GT_PROTOCOL_VERSION 1
#define GT_MAX_LINE 65536          // bytes per line, the newline excluded
#define GT_DEFAULT_HEARTBEAT_S 5

// The strings the token signs: exactly as the protocol document writes them.
string GtAuthMacInput(const string bridge_nonce, const string terminal, const string ea_nonce)
  {
   return "auth|" + bridge_nonce + "|" + terminal + "|" + ea_nonce;
  }

string GtWelcomeMacInput(const string ea_nonce, const string bridge_nonce)
  {
   return "welcome|" + ea_nonce + "|" + bridge_nonce;
  }

//--- the lines the EA writes ------------------------------------------
string GtMsgAuth(const string terminal, const string platform, const long login,
                 const string broker, const string ea_nonce, const string mac)
  {
   GtObj o;
   o.Str("type", "auth");
   o.Int("version", GT_PROTOCOL_VERSION);
   o.Str("terminal", terminal);
   o.Str("platform", platform);
   o.Int("login", login);
   o.Str("broker", broker);
   o.Str("nonce", ea_nonce);
   o.Str("mac", mac);
   return o.Text();
  }

string GtMsgResOk(const long id, const string data_json)
  {
   GtObj o;
   o.Str("type", "res");
   o.Int("id", id);
   o.Bool("ok", true);
   o.Raw("data", data_json);
   return o.Text();
  }

string GtMsgResError(const long id, const string code, const string message)
  {
   GtObj err;
   err.Str("code", code);
   err.Str("message", message);
   GtObj o;
   o.Str("type", "res");
   o.Int("id", id);
   o.Bool("ok", false);
   o.Raw("error", err.Text());
   return o.Text();
  }

string GtMsgEvt(const long seq, const string event, const string data_json)
  {
   GtObj o;
   o.Str("type", "evt");
   o.Int("seq", seq);
   o.Str("event", event);
   o.Raw("data", data_json);
   return o.Text();
  }

string GtMsgPing(const string type, const long t_ms)
  {
   GtObj o;
   o.Str("type", type);  // "ping" or "pong"
   o.Int("t_ms", t_ms);
   return o.Text();
  }

string GtMsgError(const string code, const string message)
  {
   GtObj o;
   o.Str("type", "error");
   o.Str("code", code);
   o.Str("message", message);
   return o.Text();
  }

// A line's size on the wire, in UTF-8 bytes.
int GtLineBytes(const string line)
  {
   uchar bytes[];
   return GtUtf8(line, bytes);
  }

//--- incoming bytes -> lines ------------------------------------------
class GtLineBuffer
  {
   uchar             m_bytes[];
public:
   bool              oversized;  // a line grew past GT_MAX_LINE: the connection must close

                     GtLineBuffer(void) { oversized = false; }
   void              Clear(void) { ArrayResize(m_bytes, 0); oversized = false; }
   void              Append(const uchar &chunk[], const int count)
     {
      int n = ArraySize(m_bytes);
      ArrayResize(m_bytes, n + count);
      ArrayCopy(m_bytes, chunk, n, 0, count);
     }
   // The next complete line (UTF-8 decoded, newline stripped) into `line`; false if none.
   bool              Next(string &line)
     {
      int n = ArraySize(m_bytes);
      int end = -1;
      for(int i = 0; i < n; i++)
         if(m_bytes[i] == '\n')
           { end = i; break; }
      if(end < 0)
        {
         if(n > GT_MAX_LINE)
            oversized = true;
         return false;
        }
      if(end > GT_MAX_LINE)
        {
         oversized = true;
         return false;
        }
      int len = end;
      if(len > 0 && m_bytes[len - 1] == '\r')
         len--;
      line = len > 0 ? CharArrayToString(m_bytes, 0, len, CP_UTF8) : "";
      uchar rest[];
      int left = n - end - 1;
      if(left > 0)
         ArrayCopy(rest, m_bytes, 0, end + 1, left);
      ArrayFree(m_bytes);
      if(left > 0)
         ArrayCopy(m_bytes, rest);
      return true;
     }
  };
//+------------------------------------------------------------------+
