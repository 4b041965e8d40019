//+------------------------------------------------------------------+
//| Json.mqh: the JSON the bridge protocol needs, nothing more.      |
//| GtJson parses one line into a tree (objects, arrays, strings,    |
//| numbers kept as their text, true/false/null); GtObj and GtArr    |
//| write one. Identical in MQL5/ and MQL4/ (a test checks it).      |
//+------------------------------------------------------------------+
#define GT_JSON_MAX_DEPTH 32

enum GtJsonKind { GT_NULL, GT_BOOL, GT_NUM, GT_STR, GT_ARR, GT_OBJ };

class GtJson
  {
public:
   GtJsonKind        kind;
   string            text;      // a string's value, a number's digits, "true"/"false"
   string            keys[];    // an object's member names, in order
   GtJson           *items[];   // an object's values or an array's elements

                     GtJson(void) { kind = GT_NULL; text = ""; }
                    ~GtJson(void)
     {
      for(int i = 0; i < ArraySize(items); i++)
         if(CheckPointer(items[i]) == POINTER_DYNAMIC)
            delete items[i];
     }
   int               Size(void) const { return ArraySize(items); }
   GtJson           *At(int i)
     {
      if(i < 0 || i >= ArraySize(items))
         return NULL;
      return items[i];
     }
   GtJson           *Get(const string key)
     {
      for(int i = 0; i < ArraySize(keys); i++)
         if(keys[i] == key)
            return items[i];
      return NULL;
     }
   bool              Has(const string key) { GtJson *v = Get(key); return v != NULL && v.kind != GT_NULL; }
   string            Str(const string key, const string fallback = "")
     {
      GtJson *v = Get(key);
      return (v == NULL || v.kind == GT_NULL) ? fallback : v.text;
     }
   long              Int(const string key, const long fallback = 0)
     {
      GtJson *v = Get(key);
      return (v == NULL || v.kind != GT_NUM) ? fallback : StringToInteger(v.text);
     }
   // Money travels as decimal strings; a JSON number is accepted too.
   double            Dbl(const string key, const double fallback = 0.0)
     {
      GtJson *v = Get(key);
      if(v == NULL || (v.kind != GT_STR && v.kind != GT_NUM))
         return fallback;
      return StringToDouble(v.text);
     }
   bool              Bool(const string key, const bool fallback = false)
     {
      GtJson *v = Get(key);
      return (v == NULL || v.kind != GT_BOOL) ? fallback : v.text == "true";
     }
   void              Append(const string key, GtJson *value)
     {
      int n = ArraySize(items);
      ArrayResize(items, n + 1);
      ArrayResize(keys, n + 1);
      items[n] = value;
      keys[n] = key;
     }
  };

//--- parser: recursive descent over the UTF-16 string the line was decoded into
class GtJsonParser
  {
   string            m_s;
   int               m_pos;
   int               m_len;
public:
   string            error;     // what was wrong, for `error MALFORMED`

   GtJson           *Parse(const string s)
     {
      m_s = s;
      m_pos = 0;
      m_len = StringLen(s);
      error = "";
      GtJson *root = Value(0);
      if(root != NULL)
        {
         SkipSpace();
         if(m_pos < m_len)
           {
            Fail("trailing characters");
            delete root;
            return NULL;
           }
        }
      return root;
     }

private:
   ushort            Peek(void) { return m_pos < m_len ? StringGetCharacter(m_s, m_pos) : 0; }
   void              SkipSpace(void)
     {
      while(m_pos < m_len)
        {
         ushort c = StringGetCharacter(m_s, m_pos);
         if(c != ' ' && c != '\t' && c != '\r' && c != '\n')
            break;
         m_pos++;
        }
     }
   GtJson           *Fail(const string why)
     {
      if(error == "")
         error = why + " at " + IntegerToString(m_pos);
      return NULL;
     }
   bool              Literal(const string word)
     {
      if(StringSubstr(m_s, m_pos, StringLen(word)) != word)
         return false;
      m_pos += StringLen(word);
      return true;
     }

   GtJson           *Value(int depth)
     {
      if(depth > GT_JSON_MAX_DEPTH)
         return Fail("nested too deep");
      SkipSpace();
      ushort c = Peek();
      if(c == '{')
         return Object(depth);
      if(c == '[')
         return Array(depth);
      if(c == '"')
        {
         string s;
         if(!String(s))
            return NULL;
         GtJson *v = new GtJson();
         v.kind = GT_STR;
         v.text = s;
         return v;
        }
      if(c == '-' || (c >= '0' && c <= '9'))
         return Number();
      GtJson *v = new GtJson();
      if(Literal("true"))
        { v.kind = GT_BOOL; v.text = "true"; return v; }
      if(Literal("false"))
        { v.kind = GT_BOOL; v.text = "false"; return v; }
      if(Literal("null"))
         return v;
      delete v;
      return Fail("unexpected character");
     }

   GtJson           *Number(void)
     {
      int start = m_pos;
      while(m_pos < m_len)
        {
         ushort c = StringGetCharacter(m_s, m_pos);
         if(!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'))
            break;
         m_pos++;
        }
      GtJson *v = new GtJson();
      v.kind = GT_NUM;
      v.text = StringSubstr(m_s, start, m_pos - start);
      return v;
     }

   // The value of `count` hex digits at `at`, -1 if they are not all hex.
   int               HexDigits(const int at, const int count)
     {
      if(at + count > m_len)
         return -1;
      int value = 0;
      for(int i = at; i < at + count; i++)
        {
         ushort c = StringGetCharacter(m_s, i);
         int digit = (c >= '0' && c <= '9') ? c - '0' :
                     (c >= 'a' && c <= 'f') ? c - 'a' + 10 :
                     (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
         if(digit < 0)
            return -1;
         value = value * 16 + digit;
        }
      return value;
     }

   bool              String(string &out)
     {
      out = "";
      m_pos++;  // the opening quote
      while(m_pos < m_len)
        {
         ushort c = StringGetCharacter(m_s, m_pos++);
         if(c == '"')
            return true;
         if(c != '\\')
           {
            out += ShortToString(c);
            continue;
           }
         if(m_pos >= m_len)
            break;
         ushort e = StringGetCharacter(m_s, m_pos++);
         if(e == 'n') out += "\n";
         else if(e == 't') out += "\t";
         else if(e == 'r') out += "\r";
         else if(e == 'b') out += ShortToString(8);
         else if(e == 'f') out += ShortToString(12);
         else if(e == 'u')
           {
            int code = HexDigits(m_pos, 4);
            if(code < 0)
               break;
            out += ShortToString((ushort)code);
            m_pos += 4;
           }
         else out += ShortToString(e);  // \" \\ \/
        }
      Fail("unterminated string");
      return false;
     }

   GtJson           *Array(int depth)
     {
      GtJson *arr = new GtJson();
      arr.kind = GT_ARR;
      m_pos++;
      SkipSpace();
      if(Peek() == ']')
        { m_pos++; return arr; }
      while(true)
        {
         GtJson *item = Value(depth + 1);
         if(item == NULL)
           { delete arr; return NULL; }
         arr.Append("", item);
         SkipSpace();
         ushort c = Peek();
         m_pos++;
         if(c == ']')
            return arr;
         if(c != ',')
           { delete arr; return Fail("expected , or ]"); }
        }
      return arr;
     }

   GtJson           *Object(int depth)
     {
      GtJson *obj = new GtJson();
      obj.kind = GT_OBJ;
      m_pos++;
      SkipSpace();
      if(Peek() == '}')
        { m_pos++; return obj; }
      while(true)
        {
         SkipSpace();
         string key;
         if(Peek() != '"' || !String(key))
           { delete obj; return Fail("expected a member name"); }
         SkipSpace();
         if(Peek() != ':')
           { delete obj; return Fail("expected :"); }
         m_pos++;
         GtJson *value = Value(depth + 1);
         if(value == NULL)
           { delete obj; return NULL; }
         obj.Append(key, value);
         SkipSpace();
         ushort c = Peek();
         m_pos++;
         if(c == '}')
            return obj;
         if(c != ',')
           { delete obj; return Fail("expected , or }"); }
        }
      return obj;
     }
  };

//--- writing ----------------------------------------------------------
string GtQuote(const string s)
  {
   string out = "\"";
   int n = StringLen(s);
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(s, i);
      if(c == '"') out += "\\\"";
      else if(c == '\\') out += "\\\\";
      else if(c == '\n') out += "\\n";
      else if(c == '\r') out += "\\r";
      else if(c == '\t') out += "\\t";
      else if(c < 0x20) out += StringFormat("\\u%04x", c);
      else out += ShortToString(c);
     }
   return out + "\"";
  }

// An object written member by member: o.Str("type", "auth"); o.Int("version", 1); o.Text()
class GtObj
  {
   string            m_body;
   void              Member(const string key, const string raw)
     {
      if(m_body != "")
         m_body += ",";
      m_body += GtQuote(key) + ":" + raw;
     }
public:
   void              Str(const string key, const string value) { Member(key, GtQuote(value)); }
   void              Int(const string key, const long value) { Member(key, IntegerToString(value)); }
   void              Bool(const string key, const bool value) { Member(key, value ? "true" : "false"); }
   void              Money(const string key, const double value, const int digits)
     { Member(key, GtQuote(DoubleToString(value, digits))); }
   void              Raw(const string key, const string json) { Member(key, json); }
   string            Text(void) const { return "{" + m_body + "}"; }
  };

class GtArr
  {
   string            m_body;
   int               m_count;
   void              Item(const string raw)
     {
      if(m_count > 0)
         m_body += ",";
      m_body += raw;
      m_count++;
     }
public:
                     GtArr(void) { m_count = 0; }
   void              Str(const string value) { Item(GtQuote(value)); }
   void              Int(const long value) { Item(IntegerToString(value)); }
   void              Money(const double value, const int digits) { Item(GtQuote(DoubleToString(value, digits))); }
   void              Raw(const string json) { Item(json); }
   void              Clear(void) { m_body = ""; m_count = 0; }
   int               Count(void) const { return m_count; }
   int               Length(void) const { return StringLen(m_body); }
   string            Text(void) const { return "[" + m_body + "]"; }
  };
//+------------------------------------------------------------------+
