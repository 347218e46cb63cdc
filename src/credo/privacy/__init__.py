"""Privacy: master keys, AES-GCM envelopes, subject tokens and the identity vault."""

from credo.privacy.envelope import decrypt, encrypt, key_id_of
from credo.privacy.keys import (
    KeyProvider,
    LocalKeyProvider,
    MasterKey,
    StaticKeyProvider,
    create_local_key,
    key_provider,
)
from credo.privacy.tokens import Tokeniser, normalise_identifier, normalise_text
from credo.privacy.vault import IdentityVault, PersonalValue, VaultRecord

__all__ = [
    "IdentityVault",
    "KeyProvider",
    "LocalKeyProvider",
    "MasterKey",
    "PersonalValue",
    "StaticKeyProvider",
    "Tokeniser",
    "VaultRecord",
    "create_local_key",
    "decrypt",
    "encrypt",
    "key_id_of",
    "key_provider",
    "normalise_identifier",
    "normalise_text",
]
