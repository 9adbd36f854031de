/*-------------------------------------------------------------------------
 *
 * clv.h
 *	  What the two customer-id forms of clv() share: the per-customer sums
 *	  the final function reads and its arithmetic (clv.c), and the
 *	  portable variable-length integers of their serialized states.  The
 *	  bigint form is in clv.c, the text form in clv_text.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SALES_KPI_CLV_H
#define SALES_KPI_CLV_H

#include "sales_kpi.h"

/* A year of 365.25 days, in microseconds (exact). */
#define USECS_PER_YEAR	INT64CONST(31557600000000)

/*
 * Up to CLV_LAZY_RUNS sorted runs are kept apart (the final function merges
 * them as it reads them); beyond that, runs of similar size are merged,
 * which keeps their number below CLV_LAZY_RUNS + log2(customers).
 */
#define CLV_LAZY_RUNS	8
#define CLV_MAX_RUNS	48

/*
 * The sums the final function needs, in exact integers: customers, tenures
 * in microseconds, and the sum of purchases_c / tenure_c (in years) in fixed
 * point with CLV_FRAC_BITS fractional bits, each term correctly rounded.
 */
#define CLV_FRAC_BITS	60

typedef struct ClvSums
{
	uint64		customers;
	uint128		tenure_usecs;
	uint128		freq_fixed;
} ClvSums;

extern void clv_sums_add(ClvSums *sums, TimestampTz first_at, TimestampTz last_at,
						 uint64 purchases);
extern Datum clv_sums_result(const ClvSums *sums, Datum total_amount, int64 purchases);

/*
 * Serialized customers are byte-oriented (portable) variable-length
 * integers: 7 bits per byte, low bits first, the high bit set on every byte
 * but the last; signed values zigzag-encoded (0, -1, 1, -2 ... as 0, 1, 2,
 * 3 ...).
 */
#define VARINT_MAX_BYTES	10

static inline char *
put_varint(char *p, uint64 v)
{
	while (v >= 0x80)
	{
		*p++ = (char) (v | 0x80);
		v >>= 7;
	}
	*p++ = (char) v;
	return p;
}

static inline uint64
zigzag(int64 v)
{
	return ((uint64) v << 1) ^ (uint64) (v >> 63);
}

static inline int64
unzigzag(uint64 u)
{
	return (int64) (u >> 1) ^ -(int64) (u & 1);
}

/*
 * A varint from a state being read in place; a number running past the end
 * of the state or beyond 64 bits is an error.
 */
static inline uint64
get_varint(StateReader *r)
{
	uint64		v = 0;

	for (int shift = 0; shift < 64 && r->p < r->end; shift += 7)
	{
		uint8		b = (uint8) *r->p++;

		v |= (uint64) (b & 0x7F) << shift;
		if ((b & 0x80) == 0)
			return v;
	}
	report_invalid_state(r->kind, "A customer's number is truncated or too long.");
	return 0;					/* keep the compiler quiet */
}

#endif							/* SALES_KPI_CLV_H */
