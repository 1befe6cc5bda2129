package dev.grpcscale.cluster.etcd;

/**
 * One session of an {@link EtcdLeaderElection}: the etcd lease that its candidacy and announcement are
 * bound to.
 *
 * @param leaseId the lease id
 */
record EtcdSession(long leaseId) {

	/** {@code etcd lease <id in hex>}, as warnings name it. */
	@Override
	public String toString() {
		return "etcd lease " + Long.toHexString(this.leaseId);
	}

}
