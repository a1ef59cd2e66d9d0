/* The DHCP benchmark's load generator, in C so that it is never the bottleneck (benchmarks/bench_dhcp.py
 * compiles it and measures its ceiling against `echo` mode, a responder that answers without deciding).
 *
 *   dhcpload latency N IFACE          N DISCOVERs one at a time; prints each OFFER's delay
 *   dhcpload rate N WINDOW IFACE      N DISCOVERs of new clients, WINDOW in flight
 *   dhcpload echo IFACE               answer every DISCOVER at once with an OFFER-shaped copy
 *
 * Clients: MAC 02:42:BB:BB:II:II and xid BBBBIIII for base B (1 latency, 2 rate) and index I, option 93
 * arch 7 and option 60 "PXEClient:Arch:00007", broadcast flag set: the packets the Python generator sent.
 * Output: one JSON line (the keys bench_dhcp.py reads); the rate run also gives its length and its own CPU
 * time, so the benchmark can show the generator's share of a core beside the server's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CPU seconds (user + system) this process has used: with the elapsed time, the generator's own load. */
static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

static int open_socket(const char *iface, int port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1, size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface, strlen(iface) + 1) < 0) {
        perror("SO_BINDTODEVICE");
        exit(2);
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("bind");
        exit(2);
    }
    return fd;
}

static int discover(unsigned char *p, int base, int index) {
    static const char vendor[] = "PXEClient:Arch:00007";
    memset(p, 0, 300);
    p[0] = 1, p[1] = 1, p[2] = 6;
    uint32_t xid = htonl(((uint32_t)base << 16) | (uint32_t)index);
    memcpy(p + 4, &xid, 4);
    p[10] = 0x80;
    unsigned char mac[6] = {0x02, 0x42, (base >> 8) & 0xFF, base & 0xFF, (index >> 8) & 0xFF, index & 0xFF};
    memcpy(p + 28, mac, 6);
    memcpy(p + 236, "\x63\x82\x53\x63", 4);
    int i = 240;
    p[i++] = 53, p[i++] = 1, p[i++] = 1;
    p[i++] = 93, p[i++] = 2, p[i++] = 0, p[i++] = 7;
    p[i++] = 60, p[i++] = sizeof vendor - 1;
    memcpy(p + i, vendor, sizeof vendor - 1);
    i += sizeof vendor - 1;
    p[i++] = 255;
    return 300;
}

/* The offset of option 53's value, or -1. */
static int message_type_at(const unsigned char *p, int n) {
    if (n < 240 || memcmp(p + 236, "\x63\x82\x53\x63", 4) != 0) return -1;
    for (int i = 240; i < n;) {
        if (p[i] == 0) { i++; continue; }
        if (p[i] == 255 || i + 1 >= n) return -1;
        if (p[i] == 53 && p[i + 1] == 1 && i + 2 < n) return i + 2;
        i += 2 + p[i + 1];
    }
    return -1;
}

/* The xid of an OFFER, or -1 for anything else. */
static long offer_xid(const unsigned char *p, int n) {
    int at = message_type_at(p, n);
    if (p[0] != 2 || at < 0 || p[at] != 2) return -1;
    uint32_t xid;
    memcpy(&xid, p + 4, 4);
    return ntohl(xid);
}

static struct sockaddr_in SERVERS = {.sin_family = AF_INET, .sin_addr = {0xFFFFFFFF}}; /* port set in main */

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void latency(int n, const char *iface) {
    int fd = open_socket(iface, 68);
    unsigned char out[300], in[4096];
    double *delays = calloc(n, sizeof *delays);
    int got = 0, lost = 0;
    for (int i = 0; i < n; i++) {
        int size = discover(out, 1, i);
        double start = now();
        sendto(fd, out, size, 0, (const struct sockaddr *)&SERVERS, sizeof SERVERS);
        for (;;) {
            double left = start + 1.0 - now();
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0) {
                lost++;
                break;
            }
            int r = recv(fd, in, sizeof in, 0);
            if (r > 0 && offer_xid(in, r) == ((1L << 16) | i)) {
                delays[got++] = now() - start;
                break;
            }
        }
    }
    qsort(delays, got, sizeof *delays, cmp);
    double p50 = got ? delays[got / 2] * 1000 : -1, p99 = got ? delays[(int)(got * 0.99) - (got >= 100)] * 1000 : -1;
    printf("{\"p50_ms\": %.4f, \"p99_ms\": %.4f, \"latency_lost\": %d}\n", p50, p99, lost);
}

static void rate(int n, int window, const char *iface) {
    int fd = open_socket(iface, 68);
    unsigned char out[300], in[4096];
    char *answered = calloc(n, 1);
    int count = 0, next = 0;
    double start = now(), progress = start, cpu = cpu_seconds();
    while (count < n && now() - progress < 2.0) {
        while (next < n && next - count < window) {
            int size = discover(out, 2, next++);
            sendto(fd, out, size, MSG_DONTWAIT, (const struct sockaddr *)&SERVERS, sizeof SERVERS);
        }
        int r = recv(fd, in, sizeof in, MSG_DONTWAIT);
        if (r < 0) {
            struct pollfd pfd = {.fd = fd, .events = POLLIN};
            poll(&pfd, 1, 1);
            continue;
        }
        long xid = offer_xid(in, r);
        if (xid >= 0 && (xid >> 16) == 2 && (xid & 0xFFFF) < n && !answered[xid & 0xFFFF]) {
            answered[xid & 0xFFFF] = 1;
            count++;
            progress = now();
        }
    }
    double elapsed = progress - start;
    cpu = cpu_seconds() - cpu;
    printf("{\"rate\": %.1f, \"rate_answered\": %d, \"rate_seconds\": %.4f, \"generator_cpu\": %.4f}\n",
           elapsed > 0 ? count / elapsed : 0.0, count, elapsed, cpu);
}

static void echo(const char *iface) {
    int fd = open_socket(iface, 67);
    unsigned char p[4096];
    struct sockaddr_in clients = {.sin_family = AF_INET, .sin_port = htons(68), .sin_addr = {0xFFFFFFFF}};
    for (;;) {
        int r = recv(fd, p, sizeof p, 0);
        int at = r > 0 ? message_type_at(p, r) : -1;
        if (at < 0 || p[0] != 1 || p[at] != 1) continue;
        p[0] = 2, p[at] = 2;
        sendto(fd, p, r, 0, (const struct sockaddr *)&clients, sizeof clients);
    }
}

int main(int argc, char **argv) {
    SERVERS.sin_port = htons(67);
    if (argc == 4 && !strcmp(argv[1], "latency")) latency(atoi(argv[2]), argv[3]);
    else if (argc == 5 && !strcmp(argv[1], "rate")) rate(atoi(argv[2]), atoi(argv[3]), argv[4]);
    else if (argc == 3 && !strcmp(argv[1], "echo")) echo(argv[2]);
    else {
        fprintf(stderr, "usage: dhcpload latency N IFACE | rate N WINDOW IFACE | echo IFACE\n");
        return 2;
    }
    return 0;
}
