package dev.stockade.api.profile;

import java.util.List;

/**
 * A socket address family ({@code AF_*}, the first argument of socket(2) and socketpair(2)) or a
 * netlink protocol ({@code NETLINK_*}, the third argument of a netlink socket), by the kernel's
 * name and number (include/linux/socket.h, include/uapi/linux/netlink.h; the same on every
 * architecture). A sandbox profile allows {@link #ALWAYS_ALLOWED} and may name more in
 * {@code allowedSocketFamilies}; {@link #AF_NETLINK} there opens every netlink protocol.
 */
public enum SocketFamily {
    AF_UNIX(1), AF_INET(2), AF_AX25(3), AF_IPX(4), AF_APPLETALK(5), AF_NETROM(6), AF_BRIDGE(7), AF_ATMPVC(8), AF_X25(9),
    AF_INET6(10), AF_ROSE(11), AF_DECnet(12), AF_NETBEUI(13), AF_SECURITY(14), AF_KEY(15), AF_NETLINK(16), AF_PACKET(17),
    AF_ASH(18), AF_ECONET(19), AF_ATMSVC(20), AF_RDS(21), AF_SNA(22), AF_IRDA(23), AF_PPPOX(24), AF_WANPIPE(25), AF_LLC(26),
    AF_IB(27), AF_MPLS(28), AF_CAN(29), AF_TIPC(30), AF_BLUETOOTH(31), AF_IUCV(32), AF_RXRPC(33), AF_ISDN(34), AF_PHONET(35),
    AF_IEEE802154(36), AF_CAIF(37), AF_ALG(38), AF_NFC(39), AF_VSOCK(40), AF_KCM(41), AF_QIPCRTR(42), AF_SMC(43), AF_XDP(44),
    AF_MCTP(45),

    NETLINK_ROUTE(0), NETLINK_USERSOCK(2), NETLINK_FIREWALL(3), NETLINK_SOCK_DIAG(4), NETLINK_NFLOG(5), NETLINK_XFRM(6),
    NETLINK_SELINUX(7), NETLINK_ISCSI(8), NETLINK_AUDIT(9), NETLINK_FIB_LOOKUP(10), NETLINK_CONNECTOR(11), NETLINK_NETFILTER(12),
    NETLINK_IP6_FW(13), NETLINK_DNRTMSG(14), NETLINK_KOBJECT_UEVENT(15), NETLINK_GENERIC(16), NETLINK_SCSITRANSPORT(18),
    NETLINK_ECRYPTFS(19), NETLINK_RDMA(20), NETLINK_CRYPTO(21), NETLINK_SMC(22);

    /**
     * What every sandboxed program may open: unix, IPv4 and IPv6 sockets, and netlink's routing
     * protocol, which ip, ifconfig, glibc's getaddrinfo (AI_ADDRCONFIG) and getifaddrs use.
     */
    public static final List<SocketFamily> ALWAYS_ALLOWED = List.of(AF_UNIX, AF_INET, AF_INET6, NETLINK_ROUTE);

    private final int number;

    SocketFamily(int number) {
        this.number = number;
    }

    /** The family's AF_ number, or the netlink protocol's NETLINK_ number. */
    public int number() {
        return number;
    }

    public boolean isNetlinkProtocol() {
        return name().startsWith("NETLINK_");
    }
}
