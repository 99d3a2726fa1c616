"""Scaling between units, with the constants of shapes.units."""

import shapes.units


def scale(value, factor):
    return round(value * factor, 2)


def to_centimetres(lengths):
    # Nothing in the sample calls this.
    return [scale(inches, shapes.units.CENTIMETRES_PER_INCH) for inches in lengths]


def convert_by_name(lengths, unit):
    # The function is picked by name at run time: the call below cannot be resolved without running the code.
    converter = getattr(shapes.units, "to_" + unit)
    return converter(lengths)
