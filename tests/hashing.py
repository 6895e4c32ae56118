"""argon2id at its lowest cost, for the suite and the servers it starts.

The app hashes passwords and PINs with RFC 9106's low-memory profile, slow on purpose, to slow
down a stolen table. The suite signs in, registers and tries wrong passwords thousands of times,
and on 2 cores that cost was minutes of `make test`.
The same library with the smallest time and memory cost keeps every rule the tests check (a
right secret passes, a wrong one fails, unknown logins are verified too); the benchmark and the
app keep the real cost. Loaded first: a pytest plugin (pytest.ini) and the subprocess wrapper
(tests/clock.py), before core.accounts and core.visitors take DUMMY_HASH by name.
"""

from argon2 import PasswordHasher

from core import passwords

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

passwords._hasher = lambda: CHEAP
passwords.DUMMY_HASH = CHEAP.hash("not-a-real-password")
