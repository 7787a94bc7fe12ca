-- name: select_programmes
select code, version, title, description, parameters, measurement_types, forms, rules
from programmes order by code

-- name: select_programme_parameters
select parameters from programmes where code = $1
