-- name: select_programmes
-- Measurement types are expanded from the codes the programme lists, in its order; forms are the
-- newest version of each of the programme's forms. Default rules are code (alerting/engine/defaults.py):
-- the service adds them.
select p.code, p.version, p.title, p.description, p.parameters,
       coalesce((select jsonb_agg(to_jsonb(t) order by c.ordinality)
                 from jsonb_array_elements_text(p.measurement_types) with ordinality as c(code, ordinality)
                 join measurement_types t on t.code = c.code), '[]') as measurement_types,
       coalesce((select jsonb_agg(f.definition || jsonb_build_object('code', f.code, 'version', f.version)
                                  order by f.code)
                 from (select distinct on (code) code, version, definition from forms
                       where programme = p.code order by code, version desc) f), '[]') as forms
from programmes p order by p.code

-- name: select_programme_parameters
select parameters from programmes where code = $1
