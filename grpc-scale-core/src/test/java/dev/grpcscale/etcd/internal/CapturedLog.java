package dev.grpcscale.etcd.internal;

import java.util.List;
import java.util.concurrent.RejectedExecutionException;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

/**
 * Everything logged through Logback's root logger while open (grpc-scale at DEBUG, other libraries, jetcd
 * included, at what the test configuration lets through), for tests of what a shutdown logs.
 */
public final class CapturedLog implements AutoCloseable {

	private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

	private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

	/** Starts capturing. */
	public CapturedLog() {
		this.appender.start();
		this.root.addAppender(this.appender);
	}

	/** Forgets what was captured so far. */
	public void clear() {
		this.appender.list.clear();
	}

	/** The events captured so far. */
	public List<ILoggingEvent> events() {
		return List.copyOf(this.appender.list);
	}

	/** The events at WARN or above. */
	public List<ILoggingEvent> warnings() {
		return events().stream().filter((event) -> event.getLevel().isGreaterOrEqual(Level.WARN)).toList();
	}

	/** The events that carry a stack trace or name a {@link RejectedExecutionException}, at any level. */
	public List<String> rejectedExecutions() {
		return events().stream()
			.filter((event) -> event.getFormattedMessage().contains(RejectedExecutionException.class.getSimpleName())
					|| mentionsRejection(event.getThrowableProxy()))
			.map((event) -> event.getLoggerName() + ": " + event.getFormattedMessage())
			.toList();
	}

	/** The events at WARN or above that carry a stack trace. */
	public List<String> warningsWithStackTraces() {
		return warnings().stream()
			.filter((event) -> event.getThrowableProxy() != null)
			.map((event) -> event.getLoggerName() + ": " + event.getFormattedMessage() + " ("
					+ event.getThrowableProxy().getClassName() + ")")
			.toList();
	}

	private static boolean mentionsRejection(IThrowableProxy proxy) {
		for (IThrowableProxy cause = proxy; cause != null; cause = cause.getCause()) {
			if (cause.getClassName().equals(RejectedExecutionException.class.getName())
					|| (cause.getMessage() != null
							&& cause.getMessage().contains(RejectedExecutionException.class.getSimpleName()))) {
				return true;
			}
		}
		return false;
	}

	@Override
	public void close() {
		this.root.detachAppender(this.appender);
		this.appender.stop();
	}

}
