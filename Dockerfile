# Build the single runnable jar, then run it on a JRE. One image serves every role:
#   docker run mini-ups serve | world | amazon | demo
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY proto proto
COPY conf conf
COPY src src
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
# No root at run time: the service runs as its own user, who may write only /app (where demo keeps data/).
RUN groupadd --system ups && useradd --system --gid ups --home-dir /app --shell /usr/sbin/nologin ups
WORKDIR /app
COPY --from=build /src/target/mini-ups.jar /app/mini-ups.jar
RUN chown ups:ups /app
USER ups
ENTRYPOINT ["java", "-jar", "/app/mini-ups.jar"]
CMD ["serve"]
