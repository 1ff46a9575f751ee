"""+CMS ERROR codes in words, and whether trying again may help.

Codes 1-127 are the network's RP causes (3GPP TS 24.011), 128-255 the TP
failure causes (TS 23.040), 300-340 the modem's own (TS 27.005), 500 and up
manufacturer specific. `modem_trouble` marks errors that say the modem or its
SIM is unwell rather than the message: such a part is retried on another modem
and the modem's error count goes up.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class CmsError:
    code: int
    words: str
    transient: bool
    modem_trouble: bool = False


_TABLE = {
    1: ("invalid destination address (unassigned number)", False),
    8: ("operator determined barring", False),
    10: ("call barred", False),
    21: ("short message transfer rejected", False),
    22: ("memory capacity exceeded at the recipient", True),
    27: ("destination out of service", True),
    28: ("unidentified subscriber", False),
    29: ("facility rejected", False),
    30: ("unknown subscriber", False),
    38: ("network out of order", True),
    41: ("temporary network failure", True),
    42: ("network congestion", True),
    47: ("network resources unavailable", True),
    50: ("requested facility not subscribed", False),
    69: ("requested facility not implemented", False),
    81: ("invalid short message reference", True),
    95: ("invalid message", False),
    96: ("invalid mandatory information", False),
    97: ("message type not known to the network", False),
    98: ("message not compatible with the protocol state", True),
    99: ("information element not known", False),
    111: ("protocol error", True),
    127: ("interworking error", True),
    128: ("telematic interworking not supported", False),
    143: ("unsupported protocol identifier", False),
    144: ("data coding scheme not supported", False),
    145: ("message class not supported", False),
    159: ("data coding scheme error", False),
    176: ("message type not supported", False),
    192: ("service centre busy", True),
    193: ("no service centre subscription", False),
    194: ("service centre system failure", True),
    195: ("invalid destination address", False),
    196: ("destination barred", False),
    197: ("rejected as a duplicate", False),
    198: ("validity period format not supported", False),
    199: ("validity period not supported", False),
    255: ("unspecified error", True),
    300: ("modem failure", True),
    301: ("modem SMS service busy", True),
    302: ("operation not allowed", True),
    303: ("operation not supported", False),
    304: ("invalid PDU", False),
    305: ("invalid text mode parameter", False),
    320: ("modem memory failure", True),
    330: ("service centre address unknown", True),
    331: ("no network service", True),
    332: ("network timeout", True),
    500: ("unknown modem error", True),
}
_MODEM_TROUBLE = {300, 301, 302, 310, 311, 312, 313, 314, 315, 316, 317, 318, 320, 330, 331, 332, 500}
_SIM = {310: "SIM not inserted", 311: "SIM PIN required", 312: "PH-SIM PIN required", 313: "SIM failure",
        314: "SIM busy", 315: "SIM wrong", 316: "SIM PUK required", 317: "SIM PIN2 required",
        318: "SIM PUK2 required"}


def classify(code):
    """A CmsError for a +CMS ERROR code (None or text: unknown, transient)."""
    if not isinstance(code, int):
        return CmsError(-1, f"modem error ({code or 'no code'})", True, True)
    if code in _SIM:
        return CmsError(code, _SIM[code], True, True)
    if code in _TABLE:
        words, transient = _TABLE[code]
        return CmsError(code, words, transient, code in _MODEM_TROUBLE)
    if code >= 512:
        return CmsError(code, f"manufacturer-specific modem error {code}", True, True)
    if code < 128:
        return CmsError(code, f"network refused the message (cause {code})", False)
    return CmsError(code, f"service centre refused the message (cause {code})", False)
