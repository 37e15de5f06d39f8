"""Streaming to AR front-ends over ZeroMQ: wire format, publisher, subscriber, CURVE security."""

from .publisher import Publisher, WireFormat
from .security import generate_keys
from .subscriber import ReceiveMode, Subscriber, SubscriberStats
from .wire import SCHEMA, Packet, WireError, decode, encode

__all__ = ["Publisher", "WireFormat", "Subscriber", "ReceiveMode", "SubscriberStats", "Packet", "WireError",
           "encode", "decode", "SCHEMA", "generate_keys"]  # fmt: skip
