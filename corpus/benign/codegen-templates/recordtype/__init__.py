_TEMPLATE = """
def __init__(self, {args}):
{body}
"""


def make_record(name, fields):
    """Build a record class from identifiers, the way namedtuple and attrs generate code."""
    for f in fields:
        if not f.isidentifier():
            raise ValueError(f"bad field name: {f!r}")
    body = "\n".join(f"    self.{f} = {f}" for f in fields) or "    pass"
    namespace = {}
    exec(compile(_TEMPLATE.format(args=", ".join(fields), body=body), f"<record {name}>",
                 "exec"), namespace)
    return type(name, (), {"__init__": namespace["__init__"], "__slots__": tuple(fields)})
