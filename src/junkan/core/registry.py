"""The one :mod:`pint` unit registry of junkan.

Beyond pint's defaults it knows:

* ``kgCO2e`` (dimension ``[co2e]``), with ``gCO2e`` and ``tCO2e``;
* ``piece`` (dimension ``[item]``; alias ``pcs``) for counted items;
* currencies ``JPY``, ``USD``, ``EUR``, each its own dimension so that an amount in one currency
  is never silently added to another (no exchange rates are assumed).

Engines work in these base units: kg, piece, kgCO2e, MJ, currency unit, year. Strings from users
never reach pint's parser: :mod:`junkan.core.quantities` reads them.
"""

from __future__ import annotations

import pint

from junkan.core.errors import CodedError

ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("kgCO2e = [co2e] = kg_CO2e = kgCO2eq")
ureg.define("gCO2e = 1e-3 kgCO2e")
ureg.define("tCO2e = 1000 kgCO2e = t_CO2e")
ureg.define("piece = [item] = pcs")
ureg.define("JPY = [currency_JPY] = yen")
ureg.define("USD = [currency_USD]")
ureg.define("EUR = [currency_EUR]")

Q_ = ureg.Quantity

CURRENCIES = ("JPY", "USD", "EUR")


class UnitParseError(CodedError, ValueError):
    """A string could not be read as a quantity, or has the wrong dimension. Made by
    :meth:`~junkan.core.errors.CodedError.coded`, its message is a domain rule's, which a
    validator refuses with (:meth:`~junkan.core.errors.CodedError.refusal`)."""
