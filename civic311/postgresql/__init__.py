"""civic311's PostgreSQL database backend (settings.DATABASES' ENGINE): Django's, with a cheaper health check."""
