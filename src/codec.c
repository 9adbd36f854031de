/*-------------------------------------------------------------------------
 *
 * codec.c
 *	  The one binary format of every aggregate state: what the serialize
 *	  functions write and the deserialize functions read, between parallel
 *	  workers, between nodes (postgres_fdw, Citus), and as the summaries of
 *	  the two-step aggregates.
 *
 *	  A state starts with two bytes: the format version (STATE_FORMAT_VERSION)
 *	  and the kind of state, so that a state written by a later version, or
 *	  a state of another aggregate, is refused rather than misread.  Then come
 *	  the state's fields: integers in network byte order (pq_sendint*),
 *	  128-bit sums as their high and low halves, and numeric sums as a length
 *	  and numeric's binary wire format (numeric_send), which is the same on
 *	  every PostgreSQL version and platform: nothing of numeric.c's private
 *	  aggregate state travels.
 *
 *	  Reading never copies the input: a StateReader walks the bytea in place
 *	  and checks every length before it reads, so a truncated, padded or
 *	  corrupt state is an error (22P03, invalid binary representation),
 *	  never a crash or a wrong number.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "sales_kpi.h"
#include "libpq/pqformat.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

const char *
state_kind_name(StateKind kind)
{
	switch (kind)
	{
		case STATE_OUTCOMES:
			return "outcome count";
		case STATE_DURATION:
			return "duration";
		case STATE_RETENTION:
			return "retention";
		case STATE_VELOCITY:
			return "pipeline velocity";
		case STATE_CLV:
			return "clv";
		case STATE_ACV:
			return "acv";
		case STATE_CLV_TEXT:
			return "clv (text ids)";
		case STATE_PERCENTILE_DURATION:
			return "sales cycle percentile";
		case STATE_PERCENTILE_AMOUNT:
			return "deal size percentile";
		case STATE_BGNBD_FIT:
			return "BG/NBD fit";
		case STATE_GAMMA_GAMMA_FIT:
			return "Gamma-Gamma fit";
		case STATE_RFM:
			return "customer RFM";
	}
	return "aggregate";
}

void
report_invalid_state(StateKind kind, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s state", state_kind_name(kind)),
			 errdetail("%s", detail),
			 errhint("Pass a state written by sales_kpi itself, unchanged.")));
}

/* ------------------------------------------------------------------------
 * Writing.
 * ------------------------------------------------------------------------
 */

/* Start a state of the given kind in buf (a bytea under construction). */
void
state_write_begin(StringInfo buf, StateKind kind)
{
	pq_begintypsend(buf);
	pq_sendbyte(buf, STATE_FORMAT_VERSION);
	pq_sendbyte(buf, (uint8) kind);
}

bytea *
state_write_end(StringInfo buf)
{
	return pq_endtypsend(buf);
}

void
state_put_byte(StringInfo buf, uint8 v)
{
	pq_sendbyte(buf, v);
}

void
state_put_int32(StringInfo buf, int32 v)
{
	pq_sendint32(buf, (uint32) v);
}

void
state_put_int64(StringInfo buf, int64 v)
{
	pq_sendint64(buf, (uint64) v);
}

void
state_put_int128(StringInfo buf, int128 v)
{
	uint128		u = (uint128) v;

	pq_sendint64(buf, (uint64) (u >> 64));
	pq_sendint64(buf, (uint64) u);
}

/* A finite numeric: its length, then numeric_send's bytes. */
void
state_put_numeric(StringInfo buf, Datum num)
{
	bytea	   *bytes = DatumGetByteaPP(DirectFunctionCall1(numeric_send, num));

	pq_sendint32(buf, VARSIZE_ANY_EXHDR(bytes));
	pq_sendbytes(buf, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
}

/* ------------------------------------------------------------------------
 * Reading, in place.
 * ------------------------------------------------------------------------
 */

/* Begin reading a state of the given kind: check its version and kind. */
void
state_read_begin(StateReader *r, bytea *state, StateKind kind)
{
	uint8		version;
	uint8		got_kind;

	r->p = VARDATA_ANY(state);
	r->end = r->p + VARSIZE_ANY_EXHDR(state);
	r->kind = kind;
	if (r->end - r->p < 2)
		report_invalid_state(kind, "The state is shorter than its two-byte header.");
	version = (uint8) r->p[0];
	got_kind = (uint8) r->p[1];
	r->p += 2;
	if (version != STATE_FORMAT_VERSION)
		report_invalid_state(kind,
							 psprintf("The state is in format version %u; this version of sales_kpi reads version %u.",
									  version, STATE_FORMAT_VERSION));
	if (got_kind != (uint8) kind)
		report_invalid_state(kind,
							 psprintf("The state is a %s state.",
									  got_kind >= STATE_OUTCOMES && got_kind <= STATE_CLV_TEXT
									  ? state_kind_name((StateKind) got_kind) : "unknown"));
}

/* Every byte must have been read. */
void
state_read_end(StateReader *r)
{
	if (r->p != r->end)
		report_invalid_state(r->kind,
							 psprintf("The state has %ld bytes after its last field.",
									  (long) (r->end - r->p)));
}

/* The next len bytes, in place; an error if the state is shorter. */
const char *
state_get_bytes(StateReader *r, Size len)
{
	const char *at = r->p;

	if ((Size) (r->end - r->p) < len)
		report_invalid_state(r->kind, "The state ends in the middle of a field.");
	r->p += len;
	return at;
}

uint8
state_get_byte(StateReader *r)
{
	return (uint8) *state_get_bytes(r, 1);
}

int32
state_get_int32(StateReader *r)
{
	uint32		v;

	memcpy(&v, state_get_bytes(r, sizeof(v)), sizeof(v));
	return (int32) pg_ntoh32(v);
}

int64
state_get_int64(StateReader *r)
{
	uint64		v;

	memcpy(&v, state_get_bytes(r, sizeof(v)), sizeof(v));
	return (int64) pg_ntoh64(v);
}

int128
state_get_int128(StateReader *r)
{
	uint64		hi = (uint64) state_get_int64(r);
	uint64		lo = (uint64) state_get_int64(r);

	return (int128) (((uint128) hi << 64) | lo);
}

/*
 * A numeric written by state_put_numeric().  The wire format is a header of
 * four int16 (digit count, weight, sign, display scale) and the digits, so
 * the length must be 8 + 2 * digits before numeric_recv() may read it;
 * numeric_recv() then checks the digits, sign and scale.  Sums are finite.
 */
Datum
state_get_numeric(StateReader *r)
{
	int32		len = state_get_int32(r);
	const char *bytes;
	uint16		ndigits;
	StringInfoData in;
	Datum		num;

	if (len < 8)
		report_invalid_state(r->kind, "A number is shorter than its header.");
	bytes = state_get_bytes(r, (Size) len);
	memcpy(&ndigits, bytes, sizeof(ndigits));
	ndigits = pg_ntoh16(ndigits);
	if (len != 8 + 2 * (int32) ndigits)
		report_invalid_state(r->kind, "A number's length does not match its digit count.");

	/* a read-only StringInfo over the bytes, for numeric_recv() */
	in.data = (char *) bytes;
	in.len = len;
	in.maxlen = 0;
	in.cursor = 0;
	num = DirectFunctionCall3(numeric_recv, PointerGetDatum(&in),
							  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	if (numeric_is_nan(DatumGetNumeric(num))
#if PG_VERSION_NUM >= 140000
		|| numeric_is_inf(DatumGetNumeric(num))
#endif
		)
		report_invalid_state(r->kind, "A sum is not a finite number.");
	return num;
}
