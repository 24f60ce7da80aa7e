/*
 * A small driver of cluster-glue's message library (libplumb), so that the
 * wire tests can check compressed messages against the real thing.
 *
 *   compress_helper encode METHOD THRESHOLD FORMAT SECRET < FIELDS > DATAGRAM
 *   compress_helper decode SECRET < DATAGRAM > TEXT
 *
 * encode builds a message from FIELDS (one "name=value" line each, string
 * fields), adds heartbeat's "auth" field the way heartbeat's add_msg_auth
 * does (HMAC-SHA1 of the classic rendering, key 1), turns traditional
 * compression on with METHOD ("zlib" or "bz2", loaded as cluster-glue's
 * plugin) and THRESHOLD bytes, sets msgfmt FORMAT ("classic" or
 * "netstring") and writes what msg2wirefmt makes of it: the datagram
 * heartbeat would send.
 *
 * decode reads a datagram with wirefmt2msg, as heartbeat's media read what
 * they receive (trailer checked, compressed messages expanded), and writes
 * the message in classic text form (msg2string); it exits 1 when libplumb
 * refuses the datagram.
 *
 * Both authenticate with key 1, sha1, SECRET: "auth 1 / 1 sha1 SECRET".
 * Build: cc -o compress_helper compress_helper.c -l:libplumb.so.2
 *        -l:libglib-2.0.so.0
 * The prototypes are those of cluster-glue's ha_msg.h (1.0.12), declared
 * here so that no development package is needed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ha_msg;

enum cl_msgfmt { MSGFMT_NVPAIR, MSGFMT_NETSTRING };

struct ha_msg *ha_msg_new(int nfields);
void ha_msg_del(struct ha_msg *msg);
int ha_msg_add(struct ha_msg *msg, const char *name, const char *value);
char *msg2wirefmt(struct ha_msg *msg, size_t *len);
struct ha_msg *wirefmt2msg(const char *s, size_t length, int flag);
char *msg2string(const struct ha_msg *msg);
int msg2string_buf(const struct ha_msg *msg, char *buf, size_t len, int depth, int needhead);
int cl_set_compress_fns(const char *name);
void cl_set_traditional_compression(int on);
void cl_set_compression_threshold(size_t threshold);
void cl_set_msg_format(enum cl_msgfmt format);
void cl_set_authentication_computation_method(
    int (*method)(int which, const void *data, size_t datalen, char *authstr, size_t authlen));
void cl_log_set_entity(const char *entity);
void cl_log_enable_stderr(int truefalse);

/* GLib's HMAC (GLib is libplumb's own dependency). */
enum { G_CHECKSUM_SHA1_ = 1 };
char *g_compute_hmac_for_data(int digest, const unsigned char *key, size_t key_len,
                              const unsigned char *data, size_t length);
void g_free(void *mem);

#define MSG_NEEDAUTH 0x01
#define HA_OK 1
#define MAX_INPUT (4 * 1024 * 1024)

static const char *secret = "";

/* The token of key 1 over DATA, as heartbeat's sha1 auth plugin writes it. */
static int
sign(int which, const void *data, size_t datalen, char *authstr, size_t authlen)
{
	char *hex;

	if (which != -1 && which != 1) {
		return -1;
	}
	hex = g_compute_hmac_for_data(G_CHECKSUM_SHA1_, (const unsigned char *)secret,
				      strlen(secret), data, datalen);
	if (hex == NULL || strlen(hex) >= authlen) {
		g_free(hex);
		return -1;
	}
	strcpy(authstr, hex);
	g_free(hex);
	return 1;
}

static size_t
read_all(char *buf, size_t max)
{
	size_t len = 0, n;

	while (len < max && (n = fread(buf + len, 1, max - len, stdin)) > 0) {
		len += n;
	}
	return len;
}

static int
encode(const char *method, const char *threshold, const char *format)
{
	char *input = malloc(MAX_INPUT + 1);
	char *line, *save = NULL, *body, *wire;
	struct ha_msg *msg = ha_msg_new(0);
	char token[64], auth[80];
	size_t len, bodylen = MAX_INPUT;

	if (input == NULL || msg == NULL) {
		return 2;
	}
	len = read_all(input, MAX_INPUT);
	input[len] = '\0';
	for (line = strtok_r(input, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (eq == NULL) {
			fprintf(stderr, "no '=' in input line: %s\n", line);
			return 2;
		}
		*eq = '\0';
		if (ha_msg_add(msg, line, eq + 1) != HA_OK) {
			fprintf(stderr, "ha_msg_add(%s) failed\n", line);
			return 2;
		}
	}
	/* heartbeat's add_msg_auth: the token of the classic rendering. */
	body = malloc(bodylen);
	if (body == NULL || msg2string_buf(msg, body, bodylen, 0, 0) != HA_OK
	    || sign(-1, body, strlen(body), token, sizeof(token)) != 1) {
		fprintf(stderr, "cannot sign the message\n");
		return 2;
	}
	snprintf(auth, sizeof(auth), "1 %s", token);
	ha_msg_add(msg, "auth", auth);

	if (cl_set_compress_fns(method) != HA_OK) {
		fprintf(stderr, "cannot load compression plugin %s\n", method);
		return 2;
	}
	cl_set_traditional_compression(1);
	cl_set_compression_threshold((size_t)strtoul(threshold, NULL, 10));
	cl_set_msg_format(strcmp(format, "netstring") == 0 ? MSGFMT_NETSTRING : MSGFMT_NVPAIR);
	wire = msg2wirefmt(msg, &len);
	if (wire == NULL) {
		fprintf(stderr, "msg2wirefmt failed\n");
		return 2;
	}
	fwrite(wire, 1, len, stdout);
	free(wire);
	ha_msg_del(msg);
	free(body);
	free(input);
	return 0;
}

static int
decode(void)
{
	char *input = malloc(MAX_INPUT);
	struct ha_msg *msg;
	char *text;
	size_t len;

	if (input == NULL) {
		return 2;
	}
	len = read_all(input, MAX_INPUT);
	msg = wirefmt2msg(input, len, MSG_NEEDAUTH);
	if (msg == NULL) {
		fprintf(stderr, "wirefmt2msg refused the datagram\n");
		return 1;
	}
	text = msg2string(msg);
	if (text == NULL) {
		return 2;
	}
	fputs(text, stdout);
	free(text);
	ha_msg_del(msg);
	free(input);
	return 0;
}

int
main(int argc, char **argv)
{
	cl_log_set_entity("compress_helper");
	cl_log_enable_stderr(1);
	cl_set_authentication_computation_method(sign);
	if (argc == 6 && strcmp(argv[1], "encode") == 0) {
		secret = argv[5];
		return encode(argv[2], argv[3], argv[4]);
	}
	if (argc == 3 && strcmp(argv[1], "decode") == 0) {
		secret = argv[2];
		return decode();
	}
	fprintf(stderr, "usage: %s encode METHOD THRESHOLD classic|netstring SECRET < FIELDS\n"
		"       %s decode SECRET < DATAGRAM\n", argv[0], argv[0]);
	return 2;
}
