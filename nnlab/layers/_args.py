"""Keras-style checks of constructor arguments shared by the layers."""
import numpy as np



def positive_int(value, argname):
    """`value` as an int, or a ValueError naming `argname` and echoing the value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"Received an invalid value for `{argname}`, expected a positive integer. "
            f"Received: {argname}={value!r}")
    return int(value)


def int_pair(value, argname):
    """An int or a tuple/list of 2 positive ints -> (a, b)."""
    pair = value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (value, value)
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0
                   for v in pair)):
        raise ValueError(
            f"The `{argname}` argument must be a positive integer or a tuple of 2 positive "
            f"integers. Received: {argname}={value!r}")
    return (int(pair[0]), int(pair[1]))


def padding(value):
    """'valid' or 'same' (any case) -> lower case."""
    if not isinstance(value, str) or value.lower() not in ("valid", "same"):
        raise ValueError(
            "The `padding` argument must be one of 'valid', 'same'. "
            f"Received: padding={value!r}")
    return value.lower()


def data_format(value, sequences=False):
    """Only 'channels_last' (or None, meaning it) is supported (`sequences`: 1-D layers)."""
    if value is None or value == "channels_last":
        return "channels_last"
    if value == "channels_first":
        layout, move = (("sequences as steps, channels", "x.transpose(0, 2, 1)") if sequences
                        else ("images as height, width, channels", "x.transpose(0, 2, 3, 1)"))
        raise ValueError(
            f"nnlab supports only data_format='channels_last' ({layout}). Received: "
            f"data_format='channels_first'. Move the channel axis last, e.g. {move}.")
    raise ValueError(
        "The `data_format` argument must be one of 'channels_last', 'channels_first'. "
        f"Received: data_format={value!r}")


def image_input(layer, input_shape):
    """Check that `input_shape` is one image (height, width, channels)."""
    if len(input_shape) != 3 or any(d is None for d in input_shape):
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) expects images of shape "
            f"(batch, height, width, channels), received input of shape "
            f"{(None,) + tuple(input_shape)}. For a grayscale image add a channel axis, "
            "e.g. x.reshape(-1, 28, 28, 1).")


def same_padding(n, k, s):
    """TensorFlow's 'same' padding of a length-n axis: (before, after), extra after.

    The output has ceil(n / s) positions; the padding needed is
    pad_total = max((ceil(n / s) - 1) * s + k - n, 0), split with the larger half after.
    """
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def output_length(n, k, s, pad):
    """Output length of a window of size k, stride s over n: ceil(n/s) ('same') or
    floor((n - k) / s) + 1 ('valid')."""
    if pad == "same":
        return -(-n // s)
    return (n - k) // s + 1


def require_weights(layer, name="kernel"):
    """A clear error when `forward` comes before the layer has its weights."""
    if name not in layer.params:
        raise RuntimeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) has no weights yet: call it on "
            "a batch, layer(x), or build it with layer.build(input_shape) before forward().")


def check_forward_input(layer, x, channels=None, image=False):
    """Clear errors when `layer.forward(x)` is called directly (`layer(x)` checks shapes
    before forward): `x` must be a batch of images if `image`, and its last axis must
    have size `channels` if given."""
    if image and x.ndim != 4:
        image_input(layer, x.shape[1:])
    if channels is not None and (x.ndim < 2 or x.shape[-1] != channels):
        layer._shape_error(layer.input_shape, x.shape[1:])


def window_output_hw(layer, input_shape, window, strides, padding, what, advice):
    """(out_h, out_w) of a sliding `window` over an (h, w, c) input, or a clear error
    when the window does not fit ('valid' padding on too small an input)."""
    h, w = input_shape[:2]
    (kh, kw), (sh, sw) = window, strides
    oh, ow = output_length(h, kh, sh, padding), output_length(w, kw, sw, padding)
    if oh <= 0 or ow <= 0:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): the {kh}x{kw} {what} does not fit "
            f"in input of shape {(None,) + tuple(input_shape)} with padding='valid'. {advice}")
    return oh, ow
