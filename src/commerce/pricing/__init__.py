"""Pricing: one pipeline from catalog prices to what the shopper pays.

:func:`commerce.pricing.pipeline.price_cart` takes a cart (and optionally a
shipping address, a shipping method and voucher codes) and returns a
:class:`~commerce.pricing.types.PricedCart`, in integer minor units of the
cart's currency:

1. line base prices from the catalog;
2. and 3. discounts from the registered discount sources (the promotions app:
   promotions in lanes, then voucher codes);
4. order-level discounts allocated to the lines at once (largest remainder);
5. shipping: the methods whose zone matches the address, their rate strategy,
   and any shipping discount;
6. tax, from the ``COMMERCE["TAX_STRATEGY"]``;
7. totals, each the sum of its parts.

This app holds the pipeline, the shipping zones, methods and tax rates. It sits
above the catalog and below the cart: it imports neither the cart nor the orders,
and knows promotions only through :mod:`commerce.pricing.discounts`.
"""
