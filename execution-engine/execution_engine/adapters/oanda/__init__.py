"""OANDA v20: the REST and streaming API of OANDA's fxTrade and fxPractice accounts."""
