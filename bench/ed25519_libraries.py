"""Ed25519 verification rate of PyNaCl and of cryptography, on this machine, one core.

    python bench/ed25519_libraries.py [--n 20000]
"""

from __future__ import annotations

import argparse
import os
import time


def rate(verify, items) -> float:
    start = time.perf_counter()
    for message, signature in items:
        verify(message, signature)
    return len(items) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n
    messages = [os.urandom(200) for _ in range(n)]

    import nacl.signing

    nacl_key = nacl.signing.SigningKey.generate()
    nacl_items = [(m, nacl_key.sign(m).signature) for m in messages]
    nacl_verify = nacl_key.verify_key.verify

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    crypto_key = Ed25519PrivateKey.generate()
    crypto_items = [(m, crypto_key.sign(m)) for m in messages]
    crypto_public = crypto_key.public_key()

    pynacl = rate(lambda m, s: nacl_verify(m, s), nacl_items)
    crypto = rate(lambda m, s: crypto_public.verify(s, m), crypto_items)
    print(f"PyNaCl:       {pynacl:10,.0f} verifications/s")
    print(f"cryptography: {crypto:10,.0f} verifications/s")
    print(f"ratio PyNaCl / cryptography: {pynacl / crypto:.2f}")


if __name__ == "__main__":
    main()
