package dev.grpcscale.metrics;

import io.micrometer.common.KeyValues;

/**
 * A user's convention for tests: renames the operation's observation (and timer) {@value #NAME} and adds
 * {@code team=checkout} to the default key values.
 */
public class ShopOperationConvention extends DefaultOperationObservationConvention {

	/** The name it gives. */
	public static final String NAME = "shop.operation";

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(OperationContext context) {
		return super.getLowCardinalityKeyValues(context).and("team", "checkout");
	}

}
