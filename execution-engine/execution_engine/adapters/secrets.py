"""What every venue adapter asks of the secrets provider: a name in, its value out.

Venue configs hold secret NAMES (credentials, tokens); the node passes a resolver
(live.secrets' provider `.get` fits) that turns a name into its value at connect time.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr

SecretResolver = Callable[[str], SecretStr]
