//+------------------------------------------------------------------+
//| Hmac.mqh: HMAC-SHA256 (RFC 2104) on CryptEncode's SHA-256, hex   |
//| output, and the EA's nonces. No DLL: CryptEncode is built into   |
//| MQL5 and MQL4. Identical in MQL5/ and MQL4/.                     |
//+------------------------------------------------------------------+
#define GT_HMAC_BLOCK 64

// The UTF-8 bytes of s, without the terminating zero StringToCharArray appends.
int GtUtf8(const string s, uchar &out[])
  {
   int n = StringToCharArray(s, out, 0, WHOLE_ARRAY, CP_UTF8);
   if(n > 0 && out[n - 1] == 0)
      n--;
   ArrayResize(out, n);
   return n;
  }

bool GtSha256(const uchar &data[], uchar &digest[])
  {
   uchar no_key[];
   return CryptEncode(CRYPT_HASH_SHA256, data, no_key, digest) == 32;
  }

string GtHex(const uchar &bytes[])
  {
   string out = "";
   for(int i = 0; i < ArraySize(bytes); i++)
      out += StringFormat("%02x", bytes[i]);
   return out;
  }

// hex(HMAC-SHA256(key, message)), "" if CryptEncode failed.
string GtHmacSha256Hex(const string key, const string message)
  {
   uchar k[], msg[], block[], inner[], outer[], inner_digest[], digest[];
   GtUtf8(key, k);
   GtUtf8(message, msg);
   if(ArraySize(k) > GT_HMAC_BLOCK)
     {
      uchar hashed[];
      if(!GtSha256(k, hashed))
         return "";
      ArrayCopy(k, hashed);
      ArrayResize(k, 32);
     }
   ArrayResize(block, GT_HMAC_BLOCK);
   ArrayInitialize(block, 0);
   ArrayCopy(block, k, 0, 0, ArraySize(k));

   int m = ArraySize(msg);
   ArrayResize(inner, GT_HMAC_BLOCK + m);
   for(int i = 0; i < GT_HMAC_BLOCK; i++)
      inner[i] = (uchar)(block[i] ^ 0x36);
   ArrayCopy(inner, msg, GT_HMAC_BLOCK, 0, m);
   if(!GtSha256(inner, inner_digest))
      return "";

   ArrayResize(outer, GT_HMAC_BLOCK + 32);
   for(int i = 0; i < GT_HMAC_BLOCK; i++)
      outer[i] = (uchar)(block[i] ^ 0x5c);
   ArrayCopy(outer, inner_digest, GT_HMAC_BLOCK, 0, 32);
   if(!GtSha256(outer, digest))
      return "";
   return GtHex(digest);
  }

// Constant-time comparison of two hex macs (same length or unequal).
bool GtMacEquals(const string a, const string b)
  {
   if(StringLen(a) != StringLen(b) || StringLen(a) == 0)
      return false;
   int diff = 0;
   for(int i = 0; i < StringLen(a); i++)
      diff |= (StringGetCharacter(a, i) ^ StringGetCharacter(b, i));
   return diff == 0;
  }

// 32 hex digits, unique per call: SHA-256 over the microsecond clock, a counter and
// MathRand. Uniqueness is what the protocol needs (the bridge's nonce carries the
// unpredictability that stops replays); the terminal offers no CSPRNG without a DLL.
string GtNonce(const string salt)
  {
   static int counter = 0;
   counter++;
   string seed = IntegerToString((long)GetMicrosecondCount()) + "|" + IntegerToString(counter) + "|" +
                 IntegerToString(MathRand()) + "|" + IntegerToString(MathRand()) + "|" +
                 IntegerToString((long)TimeLocal()) + "|" + salt;
   uchar data[], digest[];
   GtUtf8(seed, data);
   if(!GtSha256(data, digest))
      return "";
   ArrayResize(digest, 16);
   return GtHex(digest);
  }
//+------------------------------------------------------------------+
