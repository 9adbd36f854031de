-- The tables Fivetran's HubSpot connector lands, with the columns of its
-- published fixture tables (fivetran/dbt_hubspot integration-test seeds), in
-- the schema named by the psql variable :schema.  Standard properties the
-- fixture leaves out but the sync reads when present are marked where they
-- are added.
CREATE SCHEMA :"schema";

CREATE TABLE :"schema".company (
    id bigint,
    is_deleted boolean,
    _fivetran_synced timestamp with time zone,
    property_name text,
    property_description text,
    property_createdate timestamp with time zone,
    property_industry text,
    property_address text,
    property_address_2 text,
    property_city text,
    property_state text,
    property_country text,
    property_annualrevenue numeric,
    "property_hs_all-funky-a9384-syntax" text
);

CREATE TABLE :"schema".deal_company (
    company_id bigint,
    deal_id bigint,
    type_id bigint,
    category text,
    -- a column the connector adds to every table, left out of the fixture
    _fivetran_synced timestamp with time zone
);

CREATE TABLE :"schema".deal (
    deal_id bigint,
    is_deleted boolean,
    deal_pipeline_id text,
    deal_pipeline_stage_id text,
    owner_id bigint,
    portal_id bigint,
    property_dealname text,
    property_description text,
    property_amount numeric,
    property_closedate timestamp with time zone,
    property_createdate timestamp with time zone,
    -- standard columns the fixture leaves out
    _fivetran_synced timestamp with time zone,
    property_hs_forecast_category text,
    property_hs_forecast_probability numeric,
    property_deal_currency_code text,
    property_closed_lost_reason text
);

CREATE TABLE :"schema".deal_pipeline (
    pipeline_id text,
    _fivetran_deleted boolean,
    _fivetran_synced timestamp with time zone,
    active boolean,
    display_order integer,
    label text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);

CREATE TABLE :"schema".deal_pipeline_stage (
    _fivetran_deleted boolean,
    _fivetran_synced timestamp with time zone,
    active boolean,
    closed_won boolean,
    is_closed boolean,
    display_order integer,
    probability numeric,
    stage_id text,
    label text,
    pipeline_id text,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);

CREATE TABLE :"schema".deal_property_history (
    deal_id bigint,
    timestamp timestamp with time zone,
    _fivetran_synced timestamp with time zone,
    source text,
    name text,
    source_id text,
    value text
);

CREATE TABLE :"schema".engagement_call (
    engagement_id bigint,
    _fivetran_deleted boolean,
    _fivetran_synced timestamp with time zone,
    property_hs_createdate timestamp with time zone,
    property_hs_timestamp timestamp with time zone,
    type text,
    -- standard properties the fixture leaves out
    property_hubspot_owner_id bigint,
    property_hs_call_title text
);

CREATE TABLE :"schema".engagement (
    id bigint,
    type text,
    _fivetran_synced timestamp with time zone,
    portal_id bigint
);

CREATE TABLE :"schema".engagement_deal (
    deal_id bigint,
    engagement_id bigint,
    engagement_type text,
    type_id bigint,
    _fivetran_synced timestamp with time zone,
    category text
);

CREATE TABLE :"schema".engagement_email (
    engagement_id bigint,
    _fivetran_deleted boolean,
    _fivetran_synced timestamp with time zone,
    property_hs_all_owner_ids text,
    property_hs_all_team_ids text,
    property_hs_createdate timestamp with time zone,
    property_hs_email_subject text,
    property_hs_email_text text,
    property_hs_lastmodifieddate timestamp with time zone,
    property_hs_modified_by text,
    property_hs_timestamp timestamp with time zone,
    property_hubspot_owner_id bigint,
    property_hubspot_team_id bigint,
    type text
);

CREATE TABLE :"schema".engagement_meeting (
    engagement_id bigint,
    _fivetran_synced timestamp with time zone,
    created_from_link_id text,
    end_time timestamp with time zone,
    pre_meeting_prospect_reminders text,
    source text,
    source_id text,
    start_time timestamp with time zone,
    web_conference_meeting_id text,
    meeting_outcome text,
    body text,
    external_url text,
    title text,
    -- standard properties the fixture leaves out
    _fivetran_deleted boolean,
    property_hubspot_owner_id bigint,
    property_hs_createdate timestamp with time zone,
    property_hs_timestamp timestamp with time zone
);

CREATE TABLE :"schema".engagement_task (
    engagement_id bigint,
    _fivetran_deleted boolean,
    _fivetran_synced timestamp with time zone,
    property_hs_createdate timestamp with time zone,
    property_hs_object_id bigint,
    property_hs_task_type text,
    property_hs_timestamp timestamp with time zone,
    property_hubspot_owner_id bigint,
    property_hubspot_team_id bigint,
    type text,
    task_type text,
    property_hs_engagement_source text,
    -- standard properties the fixture leaves out
    property_hs_task_subject text,
    property_hs_task_status text,
    property_hs_task_completion_date timestamp with time zone
);

CREATE TABLE :"schema".merged_deal (
    deal_id bigint,
    merged_deal_id bigint,
    _fivetran_synced timestamp with time zone
);

CREATE TABLE :"schema".owner (
    owner_id bigint,
    _fivetran_synced timestamp with time zone,
    created_at timestamp with time zone,
    portal_id bigint,
    type text,
    updated_at timestamp with time zone,
    email text,
    first_name text,
    last_name text,
    active_user_id bigint
);
