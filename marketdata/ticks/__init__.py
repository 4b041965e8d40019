"""Ticks: normalize raw venue ticks into columnar batches and validate them row by row."""

from marketdata.ticks.normalize import TickBatch, normalize
from marketdata.ticks.validate import Rejection, TickValidator

__all__ = ["Rejection", "TickBatch", "TickValidator", "normalize"]
