"""Pure compute steps: polars frames and plain data in, polars frames and plain data out.

Nothing here touches a file or the console; :mod:`mlprep.runner` joins steps to I/O.
"""
