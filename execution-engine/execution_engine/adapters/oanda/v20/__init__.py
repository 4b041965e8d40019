"""The OANDA v20 wire: typed models of the public v20 reference, an async REST client on httpx,
and the pricing and transaction streams. Nothing here knows NautilusTrader (quotes.py does)."""
