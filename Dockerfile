FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv PATH=/opt/venv/bin:$PATH
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
RUN GUAZHI_PRODUCTION=1 DJANGO_SECRET_KEY=build-only-$(python -c "print('x'*60)") \
    DJANGO_ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "guazhi.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
