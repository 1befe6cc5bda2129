package dev.grpcscale;

import java.util.concurrent.Callable;

/**
 * An operation for {@link EnhancedServiceManager#executeWithEnhancements(ThrowingSupplier, String)} that
 * declares the checked exception it may throw as a type parameter, so a caller handles exactly that
 * exception and none when the operation throws none: for a lambda such as {@code () -> stub.getPrice(request)}
 * the compiler infers {@code E} as {@link RuntimeException}, and for a body throwing {@link java.io.IOException}
 * it infers {@code IOException}.
 *
 * <p>It extends {@link Callable} so that a lambda passed to {@code executeWithEnhancements} picks this
 * overload (the more specific one) rather than the {@code Callable} overload kept for existing callers;
 * implement {@link #get()}, not {@link #call()}.
 *
 * @param <T> the result type
 * @param <E> the checked exception the operation may throw ({@link RuntimeException} for none)
 */
@FunctionalInterface
public interface ThrowingSupplier<T, E extends Exception> extends Callable<T> {

	/**
	 * Runs the operation.
	 * @return its result
	 * @throws E what the operation throws
	 */
	T get() throws E;

	/**
	 * Runs {@link #get()}.
	 * @return its result
	 * @throws E what {@link #get()} throws
	 */
	@Override
	default T call() throws E {
		return get();
	}

}
