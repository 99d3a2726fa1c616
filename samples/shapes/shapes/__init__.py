"""A small geometry package: the sample that `semc` builds by default."""

from shapes.base import Shape
from shapes.polygons import Rectangle, Square

__all__ = ["Shape", "Rectangle", "Square"]
