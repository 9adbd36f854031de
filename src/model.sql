-- The sales data model (schema sales_kpi): the tables a CRM sync or a CSV
-- import fills.  Keys are the CRM's own ids, as text and unchanged (an
-- 18-character Salesforce id, a HubSpot number written as text), with no
-- sequences, so rows load with \copy and restore with pg_dump unchanged.
-- Constraints reject impossible rows; every table is registered with
-- pg_extension_config_dump so that pg_dump carries its rows.  The history of
-- the deals is in history.sql.

-- A range over text ids (byte order), for exclusion constraints that need
-- "same id" beside "overlapping period" without the btree_gist extension.
CREATE TYPE sales_kpi.textrange AS RANGE (subtype = text, collation = pg_catalog."C");
COMMENT ON TYPE sales_kpi.textrange IS 'Range over text ids in byte order, for exclusion constraints on (id, period)';
COMMENT ON FUNCTION sales_kpi.textrange(text, text) IS 'Constructs a sales_kpi.textrange (lower, upper)';
COMMENT ON FUNCTION sales_kpi.textrange(text, text, text) IS 'Constructs a sales_kpi.textrange (lower, upper, bounds)';
-- PostgreSQL 14 and later also create a multirange type and its constructors.
DO $$
BEGIN
    IF current_setting('server_version_num')::integer >= 140000 THEN
        COMMENT ON TYPE sales_kpi.textmultirange IS 'Multirange of sales_kpi.textrange (created with it)';
        COMMENT ON FUNCTION sales_kpi.textmultirange() IS 'Constructs an empty sales_kpi.textmultirange';
        COMMENT ON FUNCTION sales_kpi.textmultirange(sales_kpi.textrange) IS 'Constructs a sales_kpi.textmultirange of one range';
        COMMENT ON FUNCTION sales_kpi.textmultirange(sales_kpi.textrange[]) IS 'Constructs a sales_kpi.textmultirange of ranges';
    END IF;
END
$$;

CREATE FUNCTION sales_kpi.as_of() RETURNS date
    AS 'MODULE_PATHNAME', 'as_of_date' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION sales_kpi.as_of() IS
    'The day the dashboards are computed for: the setting sales_kpi.as_of, or today when it is empty';

CREATE TABLE sales_kpi.reps (
    rep_id            text PRIMARY KEY CONSTRAINT reps_rep_id_not_blank CHECK (rep_id <> ''),
    name              text NOT NULL,
    email             text,
    login             name UNIQUE,
    team              text,
    region            text,
    manager_id        text REFERENCES sales_kpi.reps DEFERRABLE INITIALLY DEFERRED,
    hired_on          date,
    left_on           date,
    first_contact_at  timestamptz,
    CONSTRAINT reps_left_after_hired CHECK (left_on >= hired_on),
    CONSTRAINT reps_first_contact_after_hired CHECK (first_contact_at >= hired_on)
);
COMMENT ON TABLE sales_kpi.reps IS 'Sales reps: team, region, manager, employment dates and first customer contact';
COMMENT ON COLUMN sales_kpi.reps.rep_id IS 'The CRM''s id of the rep (Salesforce user id, HubSpot owner id), as text';
COMMENT ON COLUMN sales_kpi.reps.hired_on IS 'First day of employment; NULL when the CRM does not know it (the rep counts as employed from the start)';
COMMENT ON COLUMN sales_kpi.reps.login IS 'Database role of the rep, for row-level security policies';
COMMENT ON COLUMN sales_kpi.reps.first_contact_at IS 'First customer contact: the end of the rep''s ramp';

CREATE TABLE sales_kpi.customers (
    customer_id         text PRIMARY KEY CONSTRAINT customers_customer_id_not_blank CHECK (customer_id <> ''),
    name                text NOT NULL,
    segment             text,
    region              text,
    acquired_on         date,
    churned_on          date,
    referred_by_rep_id  text REFERENCES sales_kpi.reps,
    CONSTRAINT customers_churned_after_acquired CHECK (churned_on >= acquired_on)
);
COMMENT ON TABLE sales_kpi.customers IS 'Customers: segment, region, acquisition and churn dates, referring rep';
COMMENT ON COLUMN sales_kpi.customers.customer_id IS 'The CRM''s id of the customer (Salesforce account id, HubSpot company id), as text';
COMMENT ON COLUMN sales_kpi.customers.acquired_on IS 'Day the customer was acquired; NULL when unknown (a customer since the start)';

CREATE TABLE sales_kpi.products (
    product_id  text PRIMARY KEY CONSTRAINT products_product_id_not_blank CHECK (product_id <> ''),
    name        text NOT NULL UNIQUE,
    family      text,
    list_price  numeric CONSTRAINT products_list_price_not_negative CHECK (list_price >= 0)
);
COMMENT ON TABLE sales_kpi.products IS 'Products and list prices';

CREATE TABLE sales_kpi.deals (
    deal_id            text PRIMARY KEY CONSTRAINT deals_deal_id_not_blank CHECK (deal_id <> ''),
    rep_id             text NOT NULL REFERENCES sales_kpi.reps,
    customer_id        text REFERENCES sales_kpi.customers,
    product_id         text REFERENCES sales_kpi.products,
    pipeline           text CONSTRAINT deals_pipeline_not_blank CHECK (pipeline <> ''),
    name               text,
    stage              text NOT NULL,
    amount             numeric CONSTRAINT deals_amount_not_negative CHECK (amount >= 0),
    probability        numeric CONSTRAINT deals_probability_between_0_and_1 CHECK (probability BETWEEN 0 AND 1),
    forecast_category  text,
    close_date         date,
    created_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    contract_term      daterange,
    currency           text CONSTRAINT deals_currency_iso_4217 CHECK (currency ~ '^[A-Z]{3}$'),
    lost_reason        text,
    CONSTRAINT deals_closed_not_before_created CHECK (closed_at >= created_at),
    CONSTRAINT deals_amount_is_finite CHECK (amount < 'Infinity'),
    CONSTRAINT deals_contract_term_bounded CHECK (NOT isempty(contract_term) AND NOT lower_inf(contract_term)
                                                  AND NOT upper_inf(contract_term))
);
CREATE INDEX deals_rep_id ON sales_kpi.deals (rep_id);
CREATE INDEX deals_customer_id ON sales_kpi.deals (customer_id);
CREATE INDEX deals_created_at ON sales_kpi.deals (created_at);
CREATE INDEX deals_closed_at ON sales_kpi.deals (closed_at);
CREATE INDEX deals_product_id ON sales_kpi.deals (product_id);
COMMENT ON TABLE sales_kpi.deals IS
    'Deals (opportunities) as they are now: rep, customer, product, pipeline, stage, amount, probability, dates; every change is kept in sales_kpi.deal_history';
COMMENT ON COLUMN sales_kpi.deals.deal_id IS 'The CRM''s id of the deal (Salesforce opportunity id, HubSpot deal id), as text';
COMMENT ON COLUMN sales_kpi.deals.rep_id IS 'Owner of the deal';
COMMENT ON COLUMN sales_kpi.deals.pipeline IS 'The CRM''s pipeline id (HubSpot deal_pipeline_id); NULL in a single-pipeline CRM';
COMMENT ON COLUMN sales_kpi.deals.stage IS 'Current stage as the CRM names it; classified by stage_outcome(pipeline, stage)';
COMMENT ON COLUMN sales_kpi.deals.probability IS 'Win probability in [0, 1]; NULL takes the stage''s default_probability';
COMMENT ON COLUMN sales_kpi.deals.forecast_category IS 'The deal''s own forecast category (Salesforce forecast_category), when the CRM has one';
COMMENT ON COLUMN sales_kpi.deals.close_date IS 'Expected close date while open, the close date once closed (Salesforce close_date)';
COMMENT ON COLUMN sales_kpi.deals.closed_at IS 'When the deal closed (won or lost); NULL while open';
COMMENT ON COLUMN sales_kpi.deals.contract_term IS 'Contract [start, end) dates of a won deal, for ACV';
COMMENT ON COLUMN sales_kpi.deals.currency IS
    'ISO 4217 code of the amount''s currency; NULL: the corporate currency (dashboards convert with sales_kpi.exchange_rates)';
COMMENT ON COLUMN sales_kpi.deals.lost_reason IS 'Why a lost deal was lost, as the CRM records it (Salesforce loss_reason, HubSpot closed_lost_reason)';

CREATE TABLE sales_kpi.activities (
    activity_id   text PRIMARY KEY CONSTRAINT activities_activity_id_not_blank CHECK (activity_id <> ''),
    rep_id        text NOT NULL REFERENCES sales_kpi.reps,
    deal_id       text REFERENCES sales_kpi.deals ON DELETE SET NULL,
    kind          text NOT NULL
                  CONSTRAINT activities_kind_is_call_email_meeting_or_task
                  CHECK (kind IN ('call', 'email', 'meeting', 'task')),
    subject       text,
    created_at    timestamptz NOT NULL,
    due_at        timestamptz,
    completed_at  timestamptz,
    CONSTRAINT activities_completed_not_before_created CHECK (completed_at >= created_at)
);
-- (a rep's activities, and of those the quarter's: the team activity and
-- leaderboard dashboards of a rep or a manager under row-level security)
CREATE INDEX activities_rep_id_created_at ON sales_kpi.activities (rep_id, created_at);
CREATE INDEX activities_deal_id ON sales_kpi.activities (deal_id);
-- for the team activity dashboard: the quarter's activities, and tasks not
-- completed (never, or after the as-of day); the tasks never completed by
-- rep, with what the overdue count asks of them (read from the index alone)
CREATE INDEX activities_created_at ON sales_kpi.activities (created_at);
CREATE INDEX activities_completed_at ON sales_kpi.activities (completed_at) WHERE kind = 'task';
CREATE INDEX activities_open_tasks ON sales_kpi.activities (rep_id, due_at, created_at) WHERE kind = 'task' AND completed_at IS NULL;
COMMENT ON TABLE sales_kpi.activities IS 'Calls, emails, meetings and tasks; a task is overdue when due and not completed';

CREATE TABLE sales_kpi.quotas (
    rep_id  text NOT NULL REFERENCES sales_kpi.reps,
    period  daterange NOT NULL,
    amount  numeric NOT NULL CONSTRAINT quotas_amount_not_negative CHECK (amount >= 0),
    PRIMARY KEY (rep_id, period),
    CONSTRAINT quotas_period_bounded CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period)),
    CONSTRAINT quotas_no_overlapping_periods_per_rep
        EXCLUDE USING gist (sales_kpi.textrange(rep_id, rep_id, '[]') WITH OPERATOR(pg_catalog.=),
                            period WITH OPERATOR(pg_catalog.&&))
);
COMMENT ON TABLE sales_kpi.quotas IS 'Quota of a rep for a period; one rep''s periods do not overlap';

CREATE TABLE sales_kpi.marketing_spend (
    period   daterange NOT NULL,
    channel  text NOT NULL DEFAULT 'all',
    amount   numeric NOT NULL CONSTRAINT marketing_spend_amount_not_negative CHECK (amount >= 0),
    PRIMARY KEY (period, channel),
    CONSTRAINT marketing_spend_period_bounded CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period))
);
COMMENT ON TABLE sales_kpi.marketing_spend IS 'Sales and marketing spend per period (and channel), for CAC';

CREATE TABLE sales_kpi.market_size (
    period  daterange PRIMARY KEY,
    amount  numeric NOT NULL CONSTRAINT market_size_amount_not_negative CHECK (amount >= 0),
    CONSTRAINT market_size_period_bounded CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period))
);
COMMENT ON TABLE sales_kpi.market_size IS 'Total market sales per period, for market share';

CREATE TABLE sales_kpi.subscriptions (
    subscription_id  text PRIMARY KEY,
    customer_id      text NOT NULL REFERENCES sales_kpi.customers,
    mrr              numeric NOT NULL CONSTRAINT subscriptions_mrr_not_negative CHECK (mrr >= 0),
    active           daterange NOT NULL CONSTRAINT subscriptions_active_not_empty CHECK (NOT isempty(active))
);
CREATE INDEX subscriptions_customer_id ON sales_kpi.subscriptions (customer_id);
COMMENT ON TABLE sales_kpi.subscriptions IS 'Subscriptions: monthly recurring revenue over an active [start, end) range';

CREATE TABLE sales_kpi.kpi_targets (
    target_id  bigint PRIMARY KEY,
    kpi        text NOT NULL,
    scope      text NOT NULL DEFAULT 'company'
               CONSTRAINT kpi_targets_scope_is_company_team_or_rep CHECK (scope IN ('company', 'team', 'rep')),
    scope_id   text,
    grain      text NOT NULL DEFAULT 'quarter'
               CONSTRAINT kpi_targets_grain_is_month_quarter_or_year CHECK (grain IN ('month', 'quarter', 'year')),
    threshold  numeric NOT NULL,
    direction  text NOT NULL
               CONSTRAINT kpi_targets_direction_is_at_least_or_at_most CHECK (direction IN ('at_least', 'at_most')),
    note       text,
    CONSTRAINT kpi_targets_kpi_is_known CHECK (kpi IN (
        'revenue', 'revenue_growth', 'deals_won', 'win_rate', 'lead_conversion', 'avg_deal_size', 'acv', 'clv',
        'cac', 'customer_retention', 'customer_churn', 'mrr', 'market_share', 'rep_retention', 'avg_ramp_days',
        'referrals_per_rep', 'quota_attainment', 'open_deals', 'pipeline_value', 'weighted_pipeline',
        'avg_sales_cycle_days', 'stalled_deals', 'pipeline_velocity', 'won_revenue', 'activities',
        'open_pipeline', 'pipeline_generated')),
    CONSTRAINT kpi_targets_company_has_no_scope_id CHECK (scope <> 'company' OR scope_id IS NULL)
);
COMMENT ON TABLE sales_kpi.kpi_targets IS
    'KPI thresholds: a KPI of the company (per fiscal grain), of a team or of a rep (scope_id NULL: every one) must stay at_least or at_most the threshold';

CREATE TABLE sales_kpi.leads (
    lead_id            text PRIMARY KEY CONSTRAINT leads_lead_id_not_blank CHECK (lead_id <> ''),
    rep_id             text REFERENCES sales_kpi.reps,
    name               text,
    source             text,
    status             text,
    created_at         timestamptz NOT NULL,
    converted_on       date,
    converted_deal_id  text,
    CONSTRAINT leads_converted_not_before_created CHECK (converted_on >= created_at::date)
);
CREATE INDEX leads_rep_id ON sales_kpi.leads (rep_id);
COMMENT ON TABLE sales_kpi.leads IS
    'Leads (Salesforce lead): owner, source, status, creation, and the day and deal they converted to; lead_conversion_rate(count(converted_on), count(*)) over them';

-- pg_dump carries the rows of every table (the catalog was registered above).
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.reps', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.customers', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.products', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.deals', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.leads', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.activities', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.quotas', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.marketing_spend', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.market_size', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.subscriptions', '');
SELECT pg_catalog.pg_extension_config_dump('sales_kpi.kpi_targets', '');
