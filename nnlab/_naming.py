"""Looking things up by name, with a did-you-mean, and unique default layer names."""
import collections
import difflib
import re

_counters = collections.defaultdict(int)


def did_you_mean(name, choices):
    """' Did you mean 'relu'?' if `name` is close to one of `choices`, else ''."""
    close = difflib.get_close_matches(str(name).lower(), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def lookup(kind, identifier, registry):
    """Return `registry[identifier]` or raise a ValueError that helps fix the name.

    `kind` is what is looked up ("activation", "loss", ...), used in the message.
    """
    key = identifier.lower() if isinstance(identifier, str) else identifier
    if key in registry:
        return registry[key]
    raise ValueError(
        f"Unknown {kind}: {identifier!r}.{did_you_mean(identifier, registry)} "
        f"Known {kind} names: {', '.join(sorted(map(str, registry)))}.")


def snake_case(name):
    """'MaxPooling2D' -> 'max_pooling2d' (Keras' default layer names)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base):
    """'dense', 'dense_1', 'dense_2', ... as Keras names layers."""
    n = _counters[base]
    _counters[base] += 1
    return base if n == 0 else f"{base}_{n}"
