"""Payment gateways: the :class:`~commerce.payments.gateways.base.PaymentGateway` interface,
the registry that builds them from settings, and the built-in gateways."""
