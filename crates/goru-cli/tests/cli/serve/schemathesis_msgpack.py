# schemathesis hooks for goru serve: MessagePack request bodies and answers.
# In answers, `bin` (raw output bytes) is read as text for the schema check,
# as the JSON form carries it.
import msgpack
import schemathesis

_INT_RANGE = range(-(2**63), 2**64)


def _packable(value):
    # MessagePack integers are 64-bit; larger ones go as floats, as a JSON
    # parser would read them.
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT_RANGE:
        return float(value)
    if isinstance(value, dict):
        return {_packable(k): _packable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_packable(v) for v in value]
    return value


@schemathesis.serializer("application/msgpack")
def to_msgpack(ctx, value):
    return msgpack.packb(_packable(value), use_bin_type=True)


def _as_text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_as_text(k): _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    return value


@schemathesis.deserializer("application/msgpack")
def from_msgpack(ctx, response):
    return _as_text(msgpack.unpackb(response.content, raw=False))
