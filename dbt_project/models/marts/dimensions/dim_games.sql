-- Type-2 dimension of games (public, schema marts): one row per version of each game
-- record (business-rules §2), valid from its updated_at up to the next version's.
with

versions as (
    select * from {{ ref('stg_games__games_versions') }}
),

final as (
    select
        {{ version_key('game_id') }} as game_version_key,
        game_id,
        provider,
        name as game_name,
        category,
        rtp,
        bonus_contribution,
        updated_at,
        version_number,
        version_valid_from,
        version_valid_to,
        is_current_version
    from versions
)

select * from final
