"""Promotions and vouchers: the pricing pipeline's discount source.

Promotions run in lanes (catalog, order, shipping) and by priority inside a
lane; voucher codes unlock the promotions that require one. The rules are read
in a constant number of queries and evaluated by :mod:`commerce.promotions.engine`;
:mod:`commerce.promotions.discounts` registers the source with
:mod:`commerce.pricing.discounts`, and spends and releases budgets and code uses
at checkout with conditional updates. This app imports neither the cart, the
orders nor the payments: orders are named by their reference.
"""
