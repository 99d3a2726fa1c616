"""Lengths in centimetres and inches. Scaling lives in shapes.convert, which imports this module back: an import
cycle that works because each side uses the other only inside functions."""

import shapes.convert

CENTIMETRES_PER_INCH = 2.54


def to_inches(lengths):
    return list(map(lambda cm: shapes.convert.scale(cm, 1 / CENTIMETRES_PER_INCH), lengths))
