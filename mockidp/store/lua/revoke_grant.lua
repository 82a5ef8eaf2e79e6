-- ARGV prefix, grant.
revoke(ARGV[1], ARGV[2])
return 1
