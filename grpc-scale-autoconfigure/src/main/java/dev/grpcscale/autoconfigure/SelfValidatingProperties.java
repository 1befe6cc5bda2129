package dev.grpcscale.autoconfigure;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanClassLoaderAware;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Base of grpc-scale's {@code @ConfigurationProperties} classes: each is a Spring {@link Validator} of its
 * own type, which Boot's binder applies once, as it binds it, without any Bean Validation provider. A bad
 * value stops the application with a {@code BindValidationException} that
 * {@link InvalidGrpcScalePropertiesFailureAnalyzer} reports with the key, the value, where it was set and
 * what is expected. The rules are applied by {@link GrpcScalePropertiesValidator}, one checker per feature.
 */
abstract class SelfValidatingProperties implements Validator, EnvironmentAware, BeanClassLoaderAware {

	private @Nullable Environment environment;

	private @Nullable ClassLoader classLoader;

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void setBeanClassLoader(ClassLoader classLoader) {
		this.classLoader = classLoader;
	}

	/** Validates this type only: the binder calls {@link #validate} once, on the whole tree. */
	@Override
	public boolean supports(Class<?> type) {
		return getClass() == type;
	}

	/**
	 * Validates the bound values, reporting every invalid one to {@code errors} as a field error named
	 * after its key relative to the class's prefix, with what is expected as its only argument.
	 */
	@Override
	public void validate(Object target, Errors errors) {
		ClassLoader loader = (this.classLoader != null) ? this.classLoader : getClass().getClassLoader();
		((SelfValidatingProperties) target)
			.validateWith(GrpcScalePropertiesValidator.context(this.environment, loader, errors));
	}

	/**
	 * Applies the rules of this type.
	 * @param validator where problems are reported
	 */
	abstract void validateWith(GrpcScalePropertiesValidator validator);

}
