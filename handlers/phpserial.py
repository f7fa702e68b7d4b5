"""A strict reader for PHP's serialize() format, the last request type We the People's write API
accepted (application/vnd.php.serialized): only data — null, booleans, integers, floats, strings
and arrays, nested at most MAX_DEPTH deep. Objects (`O:`, `C:`) and references (`r:`, `R:`) are
refused: no code or class is ever touched.
"""

MAX_DEPTH = 3
MAX_ITEMS = 200


class PhpSerialError(ValueError):
    pass


def loads(data: bytes):
    """The value serialized in `data` (arrays become dicts), or PhpSerialError."""
    value, position = _value(data, 0, 0)
    if position != len(data.rstrip()):
        raise PhpSerialError("trailing data after the value")
    return value


def _until(data, position, stop):
    end = data.find(stop, position)
    if end < 0:
        raise PhpSerialError(f"expected {stop!r}")
    return data[position:end], end + len(stop)


def _number(text, kind):
    try:
        return kind(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise PhpSerialError("not a number") from None


def _value(data, position, depth):
    kind = data[position:position + 2]
    if data[position:position + 2] == b"N;":
        return None, position + 2
    if kind in (b"b:", b"i:", b"d:"):
        text, position = _until(data, position + 2, b";")
        if kind == b"b:":
            if text not in (b"0", b"1"):
                raise PhpSerialError("a boolean is 0 or 1")
            return text == b"1", position
        return _number(text, int if kind == b"i:" else float), position
    if kind == b"s:":
        length, position = _until(data, position + 2, b":")
        length = _number(length, int)
        if length < 0 or data[position:position + 1] != b'"' or data[position + 1 + length:position + 3 + length] != b'";':
            raise PhpSerialError("a string's length does not match")
        try:
            return data[position + 1:position + 1 + length].decode("utf-8"), position + 3 + length
        except UnicodeDecodeError:
            raise PhpSerialError("a string is not UTF-8") from None
    if kind == b"a:":
        if depth >= MAX_DEPTH:
            raise PhpSerialError("arrays nested too deeply")
        count, position = _until(data, position + 2, b":")
        count = _number(count, int)
        if not 0 <= count <= MAX_ITEMS or data[position:position + 1] != b"{":
            raise PhpSerialError("not an array")
        position += 1
        result = {}
        for _ in range(count):
            key, position = _value(data, position, depth + 1)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise PhpSerialError("an array key is a string or an integer")
            result[str(key)], position = _value(data, position, depth + 1)
        if data[position:position + 1] != b"}":
            raise PhpSerialError("an array does not end where its count says")
        return result, position + 1
    raise PhpSerialError("only null, booleans, numbers, strings and arrays are read")
