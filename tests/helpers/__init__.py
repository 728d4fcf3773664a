"""What the tests share besides fixtures: data sets, builders, process and server helpers.

A test module imports these from here, never from another test module or another folder's
`conftest.py` (a conftest holds only fixtures, which may use these helpers).
"""
